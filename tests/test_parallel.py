"""Many processes at once: distinct run ids, every result kept."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, run_results


def stored_run_ids(root: Path) -> set[str]:
    with sqlite3.connect(root / ".gaobench" / "results.db") as db:
        return {row[0] for row in db.execute("select run_id from gaobench_runs")}


def test_two_processes_at_once_get_distinct_run_ids(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    bench.write("calc")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    processes = [subprocess.Popen(command, cwd=pytester.path, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    results = run_results(pytester.path)
    assert len(results) == 2
    assert len({r["run_id"] for r in results}) == 2
    assert all(r["status"] == "completed" for r in results)
    assert stored_run_ids(pytester.path) == {r["run_id"] for r in results}


def test_xdist_workers_each_run_their_own_benchmarks(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    for name in ("one", "two", "three"):
        bench.write(name)
    outcome = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=3)
    results = run_results(pytester.path)
    assert sorted(r["benchmark"]["name"] for r in results) == ["one", "three", "two"]
    assert len({r["run_id"] for r in results}) == 3
    assert stored_run_ids(pytester.path) == {r["run_id"] for r in results}  # no row lost
    # The controller's summary covers what every worker ran.
    outcome.stdout.fnmatch_lines(["*gaobench summary*", "*3 completed*"])
