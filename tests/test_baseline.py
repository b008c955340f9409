"""The regression gate: --gaobench-baseline fails the session when a run got worse."""

from __future__ import annotations

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter

UNTESTED = SOLUTION + "\n\ndef unused(x):\n    if x:\n        return 1\n    return 2\n"


def test_gate_passes_when_nothing_got_worse(pytester: pytest.Pytester,
                                            bench: BenchmarkWriter) -> None:
    bench.write("calc", success_criteria={"tests_must_pass": True, "min_test_coverage": 10})
    pytester.runpytest().assert_outcomes(passed=1)
    second = pytester.runpytest("--gaobench-baseline", "latest")
    assert second.ret == 0
    second.stdout.fnmatch_lines(["*gaobench baseline latest: 0 regressed of 1*"])


def test_gate_fails_the_session_on_a_regression(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc", success_criteria={"tests_must_pass": True, "min_test_coverage": 10})
    pytester.runpytest().assert_outcomes(passed=1)
    (pytester.path / "oracles" / "calc" / "files" / "calc.py").write_text(UNTESTED)
    second = pytester.runpytest("--gaobench-baseline", "latest")
    second.assert_outcomes(passed=1)  # the benchmark still passes its own criteria...
    assert second.ret == pytest.ExitCode.TESTS_FAILED  # ...but the gate fails the session
    second.stdout.fnmatch_lines(["*gaobench baseline latest: 1 regressed of 1*",
                                 "coverage_percent*100*REGRESSED"])


def test_first_run_has_nothing_to_compare_with(pytester: pytest.Pytester,
                                               bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest("--gaobench-baseline", "latest")
    assert outcome.ret == 0
    outcome.stdout.fnmatch_lines(["calc: no earlier run to compare with"])


def test_an_interrupted_session_keeps_exit_code_2(pytester: pytest.Pytester,
                                                  bench: BenchmarkWriter) -> None:
    bench.write("calc", success_criteria={"tests_must_pass": True, "min_test_coverage": 10})
    bench.write("later")
    pytester.runpytest().assert_outcomes(passed=2)
    (pytester.path / "oracles" / "calc" / "files" / "calc.py").write_text(UNTESTED)
    pytester.makeconftest("""
def pytest_runtest_setup(item):
    if item.name == "later":
        raise KeyboardInterrupt
""")
    second = pytester.runpytest_subprocess("--gaobench-baseline", "latest")
    assert second.ret == pytest.ExitCode.INTERRUPTED
    second.stdout.fnmatch_lines(["*gaobench baseline latest: 1 regressed of 1*"])


def test_small_absolute_changes_are_not_regressions() -> None:
    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.results.compare import compare

    def run(run_id: str, retries: int, passed: int) -> BenchmarkResult:
        result = BenchmarkResult(run_id=run_id, benchmark=BenchmarkInfo(name="calc"))
        result.metrics.usage.retries = retries
        result.metrics.quality.tests_passed = passed
        return result

    def regressed(a: BenchmarkResult, b: BenchmarkResult) -> list[str]:
        return [m.metric for m in compare(a, b, 10).metrics if m.regressed]

    assert regressed(run("a", 0, 10), run("b", 1, 10)) == []  # one retry more: noise
    assert regressed(run("a", 0, 10), run("b", 5, 10)) == ["retries"]
    assert regressed(run("a", 2, 10), run("b", 2, 8)) == ["tests_passed"]  # no floor
