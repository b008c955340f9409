"""Several agents and models in one session: one item each, named as pytest names params."""

from __future__ import annotations

import sqlite3

import pytest
from benchmark_files import BenchmarkWriter, run_results


def test_each_agent_model_and_attempt_is_an_item(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest("--gaobench-agent=oracle", "--gaobench-agent=nop",
                                 "--gaobench-model=m-one,m-two", "--gaobench-repeat=2",
                                 "--collect-only", "-q", "-p", "no:cacheprovider")
    names = [line.split("::")[-1] for line in outcome.stdout.lines if "::" in line]
    assert names == [f"calc[{agent}-{model}-{attempt}]" for agent in ("oracle", "nop")
                     for model in ("m-one", "m-two") for attempt in (1, 2)]


def test_agents_are_selected_with_k_and_compared_in_the_summary(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest("--gaobench-agent=oracle", "--gaobench-agent=nop",
                                 "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1, failed=1)
    outcome.stdout.fnmatch_lines(["by agent and model:", "agent * runs * pass rate*",
                                  "oracle * 1 * 1 * 100%*", "nop * 1 * 0 * 0%*"])
    with sqlite3.connect(pytester.path / ".gaobench" / "results.db") as db:
        agents = sorted(row[0] for row in db.execute("SELECT agent FROM gaobench_runs"))
    db.close()
    assert agents == ["nop", "oracle"]
    selected = pytester.runpytest("--gaobench-agent=oracle", "--gaobench-agent=nop",
                                  "-k", "nop", "-p", "no:cacheprovider")
    selected.assert_outcomes(failed=1)
    assert [r["agent"] for r in run_results(pytester.path)].count("nop") == 2


def test_an_unknown_agent_among_several_is_a_usage_error(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest("--gaobench-agent=oracle", "--gaobench-agent=cladue-code",
                                 "-p", "no:cacheprovider")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*unknown agent 'cladue-code'*"])
