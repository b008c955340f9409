"""Row: the harness's cost per small benchmark, alone and in a suite of ten."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from timing import report, side_by_side, timed

SUITE_SIZE = 10


def small_benchmark(scratch: Path, repeat: int) -> None:
    """The harness's cost per small benchmark (an exercise-sized one, graded by its tests):
    through pytest with the oracle against copying it and running its tests by hand. Once
    for one benchmark alone (its session's start-up included), and once per benchmark of a
    suite of ten run in one session (-n 0), as an imported suite runs, against running
    each one's tests by hand."""
    from benchmark_files import BenchmarkWriter

    writer = BenchmarkWriter(scratch)
    for n in range(SUITE_SIZE):
        writer.write(f"calc{n}")
    boilerplate, oracle = scratch / "boilerplates" / "calc0", scratch / "oracles" / "calc0"
    ours_args = ["-q", "-p", "no:cacheprovider", f"--gaobench-dir={scratch / 'gb'}",
                 "--gaobench-db=none", "-n", "0"]

    def ours() -> float:
        return timed([sys.executable, "-m", "pytest", "bench_calc0.yaml", *ours_args], scratch)

    def by_hand() -> float:
        started = time.perf_counter()
        work = scratch / "manual"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(boilerplate, work)
        shutil.copytree(oracle / "files", work, dirs_exist_ok=True)
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "no:gaobench"], cwd=work, check=True, capture_output=True)
        return time.perf_counter() - started

    def ours_each() -> float:
        suite = [f"bench_calc{n}.yaml" for n in range(SUITE_SIZE)]
        return timed([sys.executable, "-m", "pytest", *suite, *ours_args],
                     scratch) / SUITE_SIZE

    for label, mine in (("a small benchmark with the oracle vs its tests by hand", ours),
                        (f"...each of {SUITE_SIZE} in one session vs its tests by hand",
                         ours_each)):
        ours_s, hand_s = side_by_side(mine, by_hand, repeat)
        report(label, ours_s, hand_s, "<= 1.5x + 0.3 s")
        print(f"{'':58} within target: {ours_s <= 1.5 * hand_s + 0.3} "
              f"(limit {1.5 * hand_s + 0.3:.3f}s)", flush=True)
