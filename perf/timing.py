"""Timing for the perf rows: a command timed, two sides measured alternately, a row
printed with its ratio and target."""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
sys.path.insert(0, str(ROOT / "tests"))
# Measured as users run: with bytecode cached. Some CI images turn caching off, and then
# every process compiles the project's modules (and the 1,000 test files) from source.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

Side = Callable[[], float]


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def side_by_side(ours: Side, theirs: Side, repeat: int) -> tuple[float, float]:
    """Medians of both sides, measured alternately so load changes hit both alike."""
    mine, base = [], []
    ours(), theirs()  # warm the file cache and the interpreter's bytecode
    for _ in range(repeat):
        mine.append(ours())
        base.append(theirs())
    return statistics.median(mine), statistics.median(base)


def report(name: str, ours: float, theirs: float, target: str, unit: str = "s") -> None:
    ratio = ours / theirs if theirs else float("inf")
    print(f"{name:58} {ours:8.3f}{unit} vs {theirs:8.3f}{unit}  ratio {ratio:5.2f}x  "
          f"(target {target})", flush=True)


def median_gap(stamps: list[float]) -> float:
    """The median time between consecutive responses, after the first ten turns."""
    return statistics.median(b - a for a, b in itertools.pairwise(stamps[10:]))
