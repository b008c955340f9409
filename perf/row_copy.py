"""Row: copying a local boilerplate against `cp -a`."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from timing import report, side_by_side, timed


def copying(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.sandbox.boilerplate import BoilerplateManager

    source = scratch / "boilerplate"
    for n in range(3000):
        folder = source / f"pkg{n % 30}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.py").write_bytes(os.urandom(8 * 1024 + n % 512))
    manager = BoilerplateManager()

    def ours() -> float:
        target = scratch / "ours"
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        manager.copy_local(source, target)
        return time.perf_counter() - started

    def cp() -> float:
        target = scratch / "cp"
        shutil.rmtree(target, ignore_errors=True)
        return timed(["cp", "-a", str(source), str(target)], scratch)

    ours_s, cp_s = side_by_side(ours, cp, repeat)
    report("local boilerplate copy (3,000 files, 25 MB) vs cp -a", ours_s, cp_s, "<= 1.3x")
