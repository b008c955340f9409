"""Pruning old runs: their workspaces and checkpoints go, their records stay.

result.json, status.json, events, transcripts and the database rows are the history
that comparisons and reports read; the workspace and the checkpoint archives are what
takes the disk. A run whose owner is still alive is never touched.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..sandbox.untrusted import regular_files
from .ownership import LOCK_FILE, owner_is_alive

BULKY = ("workspace", "checkpoints")


@dataclass
class Pruned:
    runs: list[str] = field(default_factory=list)
    bytes_freed: int = 0


def prune_runs(runs_dir: Path, *, keep: int | None = None,
               older_than_days: float | None = None) -> Pruned:
    """Remove the bulky folders of every run but the ``keep`` newest, or of every run
    older than ``older_than_days``."""
    folders = sorted((p for p in runs_dir.iterdir() if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True) if runs_dir.is_dir() else []
    if keep is not None:
        chosen = folders[keep:]
    else:
        cutoff = time.time() - (older_than_days or 0) * 86400
        chosen = [p for p in folders if p.stat().st_mtime < cutoff]
    pruned = Pruned()
    for run_dir in chosen:
        if (run_dir / LOCK_FILE).exists() and owner_is_alive(run_dir):
            continue
        bulky = [run_dir / name for name in BULKY if (run_dir / name).exists()]
        if not bulky:
            continue
        for path in bulky:
            pruned.bytes_freed += _size(path)
            shutil.rmtree(path, ignore_errors=True)
        pruned.runs.append(run_dir.name)
    return pruned


def _size(path: Path) -> int:
    """What removing it frees: the agent's workspace is walked without following links."""
    return sum(size for _, size in regular_files(path))
