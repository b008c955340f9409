"""Checkpoint and resume: an interrupted run continues from its last completed phase."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, run_results

PHASES = [{"phase_name": "plan", "expected_artifacts": ["PLAN.md"]},
          {"phase_name": "build"},
          {"phase_name": "check"}]


def interrupt_during_build(root: Path) -> dict[str, object]:
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not list(root.glob(".gaobench/runs/*/workspace/build-started")):
        assert time.monotonic() < deadline and process.poll() is None, "build never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    [result] = run_results(root)
    return result


def test_resume_skips_completed_phases_and_completes(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    bench.write("calc", phases=PHASES,
                phase_oracles={"plan": {"PLAN.md": "add two numbers\n"},
                               "check": {"calc.py": SOLUTION}},
                phase_scripts={"build": "touch build-started\nsleep 120\n"})
    first = interrupt_during_build(pytester.path)
    assert first["failure_kind"] == "interrupted"
    assert [p["status"] for p in first["phases"]] == ["completed", "failed", "skipped"]
    assert [c["phase"] for c in first["metadata"]["checkpoints"]] == ["plan"]

    (pytester.path / "oracles" / "calc" / "build.sh").write_text("echo built > build.txt\n")
    pytester.runpytest("--gaobench-resume").assert_outcomes(passed=1)

    second = next(r for r in run_results(pytester.path) if r["run_id"] != first["run_id"])
    assert second["status"] == "completed"
    assert second["metadata"]["resumed_from"] == first["run_id"]
    assert [p["status"] for p in second["phases"]] == ["completed"] * 3
    # The plan phase was carried over, not run again.
    assert second["phases"][0]["start_time"] == first["phases"][0]["start_time"]
    events = (pytester.path / ".gaobench" / "runs" / second["run_id"] / "events.jsonl")
    started = [e["phase"] for e in map(json.loads, events.read_text().splitlines())
               if e["event"] == "phase_started"]
    assert started == ["build", "check"]


def test_resume_by_run_id_and_nothing_to_resume(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest().assert_outcomes(passed=1)
    [done] = run_results(pytester.path)
    # A completed run is not resumable: the benchmark starts over and passes.
    pytester.runpytest("--gaobench-resume", done["run_id"]).assert_outcomes(passed=1)
    latest = max(run_results(pytester.path), key=lambda r: r["run_id"])
    assert latest["metadata"]["resumed_from"] is None
