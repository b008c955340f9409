"""Repeats: name[1]..name[N] items, attempt numbers in results, pass@k in the summary."""

from __future__ import annotations

import pytest
from benchmark_files import BenchmarkWriter, run_results

from pytest_gaobench.results.summary import pass_at_k


def test_pass_at_k_arithmetic() -> None:
    assert pass_at_k(3, 2, 1) == pytest.approx(2 / 3)
    assert pass_at_k(3, 2, 3) == 1.0
    assert pass_at_k(3, 0, 3) == 0.0
    assert pass_at_k(5, 1, 2) == pytest.approx(1 - 6 / 10)  # 1 - C(4,2)/C(5,2)


def test_repeats_from_yaml_are_separate_items_with_pass_at_k(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    counter = pytester.path / "attempts"
    # Fails every second attempt: attempt 1 and 3 pass, 2 fails (needs a file outside the
    # workspace, so this test runs without isolation).
    bench.write("calc", repeats=3, oracle_script=f"""
        echo x >> {counter}
        [ $(wc -l < {counter}) -ne 2 ]
        """)
    outcome = pytester.runpytest("--gaobench-isolation=none", "-v")
    outcome.assert_outcomes(passed=2, failed=1)
    outcome.stdout.fnmatch_lines(["*::calc[[]1[]] PASSED*", "*::calc[[]2[]] FAILED*",
                                  "*::calc[[]3[]] PASSED*",
                                  "calc: 2/3 completed, pass@1 0.67, pass@3 1.00, time *s ± *s"])
    attempts = sorted(r["metadata"]["attempt"] for r in run_results(pytester.path))
    assert attempts == [1, 2, 3]


def test_command_line_repeat_overrides_the_file(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc", repeats=3)
    outcome = pytester.runpytest("--gaobench-repeat", "2", "--collect-only", "-q")
    outcome.stdout.fnmatch_lines(["bench_calc.yaml::calc[[]1[]]", "bench_calc.yaml::calc[[]2[]]"])
    assert "calc[3]" not in outcome.stdout.str()
