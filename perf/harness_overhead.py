"""How much time the harness adds to a benchmark run, as a ratio.

Runs the shipped todo-cli benchmark with the oracle agent N times through pytest, and
the same grading work by hand (copy boilerplate + oracle, run its tests under coverage,
run its commands) N times, then prints both medians and their ratio. Not a test: timing
belongs here, not in the suite.

    python perf/harness_overhead.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def harness_run(scratch: Path) -> float:
    return timed([sys.executable, "-m", "pytest", str(BENCH / "bench_todo_cli.yaml"), "-q",
                  "-p", "no:cacheprovider", f"--gaobench-dir={scratch / 'gb'}"], ROOT)


def manual_run(scratch: Path) -> float:
    started = time.perf_counter()
    work = scratch / "manual"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(BENCH / "boilerplates" / "python-cli", work)
    shutil.copytree(BENCH / "oracles" / "todo-cli" / "files", work, dirs_exist_ok=True)
    data = scratch / ".coverage"
    for command in (
        [sys.executable, "-m", "coverage", "run", f"--data-file={data}", "--source=.", "-m",
         "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:gaobench"],
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o",
         str(scratch / "c.json"), "-q"],
        [sys.executable, "-m", "compileall", "-q", "todo"],
    ):
        subprocess.run(command, cwd=work, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        harness = statistics.median(harness_run(scratch) for _ in range(runs))
        manual = statistics.median(manual_run(scratch) for _ in range(runs))
    print(f"todo-cli, oracle, median of {runs}: harness {harness:.2f}s, "
          f"same work by hand {manual:.2f}s, ratio {harness / manual:.2f}")


if __name__ == "__main__":
    main()
