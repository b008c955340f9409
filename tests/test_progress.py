"""Live progress: phase lines and "still working" lines, in a plain session and under xdist."""

from __future__ import annotations

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter
from fake_anthropic import FakeAnthropic, message, text, tool, tool_turn


def test_phases_and_turns_are_shown_as_they_happen(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc", model="claude-sonnet-5-5",
                phases=[{"phase_name": "design", "agent": "architect"},
                        {"phase_name": "build"}])
    api.script(message(text("Planned."), input_tokens=100, output_tokens=10),
                          tool_turn(tool("write_file", path="calc.py", content=SOLUTION),
                                    input_tokens=200, output_tokens=20),
                          message(text("Done."), input_tokens=300, output_tokens=5))
    outcome = pytester.runpytest("--gaobench-agent=anthropic", "--gaobench-progress-seconds=0",
                                 "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)
    outcome.stdout.fnmatch_lines([
        "  calc (*): phase 'design' started (role architect)",
        "  calc (*): phase 'design' still working: *s, 1 turns, 110 tokens, $0.0003",
        "  calc (*): phase 'design' completed: *s, 1 turns, 110 tokens, $0.0003",
        "  calc (*): phase 'build' started (role developer)",
        "  calc (*): phase 'build' still working: *, last tool write_file",
        "  calc (*): phase 'build' completed: *s, 2 turns, 525 tokens, $0.001*",
    ])


def test_quiet_sessions_and_the_default_interval_stay_short(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    quiet = pytester.runpytest("-q", "-p", "no:cacheprovider")
    quiet.assert_outcomes(passed=1)
    assert "phase 'implementation'" not in quiet.stdout.str()
    plain = pytester.runpytest("-p", "no:cacheprovider")
    assert "still working" not in plain.stdout.str()  # a short phase: no heartbeat


def test_an_xdist_controller_prints_what_its_workers_runs_do(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("alpha")
    bench.write("beta")
    outcome = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=2)
    for name in ("alpha", "beta"):
        outcome.stdout.fnmatch_lines([f"  {name} (*): phase 'implementation' started*",
                                      f"  {name} (*): phase 'implementation' completed: *"])
