"""Row: gao-dev check (nop, oracle and forger in one session) against the oracle's own
session over the same suite of small exercise-like benchmarks: three times the work, so
three times the time is the floor; the target is 3.5x."""

from __future__ import annotations

import sys
from pathlib import Path

from timing import report, side_by_side, timed

SUITE_SIZE = 20
HIDDEN = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def check_vs_oracle(scratch: Path, repeat: int) -> None:
    from benchmark_files import BenchmarkWriter

    writer = BenchmarkWriter(scratch)
    for n in range(SUITE_SIZE):
        hidden = scratch / "hidden" / f"c{n}"
        hidden.mkdir(parents=True)
        (hidden / "test_hidden.py").write_text(HIDDEN)
        writer.write(f"c{n}", success_criteria={"grading_tests": f"hidden/c{n}"})
    oracle = [sys.executable, "-m", "pytest", ".", "-q", "-p", "no:cacheprovider", "-n", "2",
              "--gaobench-db=none", f"--gaobench-dir={scratch / 'gb'}"]
    check = [sys.executable, "-m", "pytest_gaobench.cli", "check", ".", "-n", "2"]
    ours, theirs = side_by_side(lambda: timed(check, scratch), lambda: timed(oracle, scratch),
                                max(1, min(repeat, 2)))
    report(f"gao-dev check vs the oracle's session ({SUITE_SIZE} benchmarks, -n 2)", ours,
           theirs, "<= 3.5x")
