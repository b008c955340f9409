"""Row: a whole benchmark through pytest against the same work by hand."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from timing import ROOT, report, side_by_side, timed


def harness(scratch: Path, repeat: int) -> None:
    """A whole benchmark run through pytest against the same work done by hand."""
    bench = ROOT / "benchmarks"

    def ours() -> float:
        return timed([sys.executable, "-m", "pytest", str(bench / "bench_todo_cli.yaml"), "-q",
                      "-p", "no:cacheprovider", f"--gaobench-dir={scratch / 'gb'}"], ROOT)

    def by_hand() -> float:
        started = time.perf_counter()
        work = scratch / "manual"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(bench / "boilerplates" / "python-cli", work)
        shutil.copytree(bench / "oracles" / "todo-cli" / "files", work, dirs_exist_ok=True)
        data = scratch / ".coverage"
        for command in (
            [sys.executable, "-m", "coverage", "run", f"--data-file={data}", "--source=.",
             "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:gaobench"],
            [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o",
             str(scratch / "c.json"), "-q"],
            [sys.executable, "-m", "compileall", "-q", "todo"],
        ):
            subprocess.run(command, cwd=work, check=True, capture_output=True)
        return time.perf_counter() - started

    ours_s, hand_s = side_by_side(ours, by_hand, repeat)
    report("todo-cli with the oracle through pytest vs the same work by hand", ours_s, hand_s,
           "as low as it goes (information)")
