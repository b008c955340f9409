"""Finding the run to resume: an interrupted, infra-failed or killed run with a checkpoint.

A resumed run is a new run (its own run_id and status history, since a finished
history never changes) that starts from the last completed phase's checkpoint and
carries the earlier phases' results and spend, with ``metadata.resumed_from``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..model.result import BenchmarkResult
from ..model.run_metadata import Checkpoint
from ..model.status import BenchmarkStatus, FailureKind
from .ownership import owner_is_alive

RESUMABLE = (FailureKind.INTERRUPTED, FailureKind.INFRA)
LATEST = "latest"


@dataclass(frozen=True)
class ResumePoint:
    previous: BenchmarkResult
    checkpoint: Checkpoint
    archive: Path

    @property
    def completed_phases(self) -> int:
        return self.checkpoint.phase_index + 1


def find_resume_point(runs_dir: Path, benchmark: str, wanted: str) -> ResumePoint | None:
    """The run ``wanted`` (a run id, or 'latest') of ``benchmark`` if it can be resumed."""
    candidates: list[tuple[BenchmarkResult, Path]] = []
    for path in runs_dir.glob("*/result.json"):
        if wanted != LATEST and path.parent.name != wanted:
            continue
        try:
            result = BenchmarkResult.load(path)
        except (OSError, ValueError, ValidationError):
            continue
        if result.benchmark.name == benchmark and _resumable(result, path.parent):
            candidates.append((result, path.parent))
    if not candidates:
        return None
    result, run_dir = max(candidates, key=lambda c: c[1].name)  # run ids start with the time
    checkpoint = result.metadata.checkpoints[-1]
    archive = run_dir / checkpoint.archive  # an absolute archive path stays as it is
    if not archive.is_file():
        return None
    return ResumePoint(previous=result, checkpoint=checkpoint, archive=archive)


def _resumable(result: BenchmarkResult, run_dir: Path) -> bool:
    """Interrupted or infra-failed, or left ``running`` by a process that is gone (killed),
    with a checkpoint to start from."""
    if not result.metadata.checkpoints:
        return False
    if result.status is BenchmarkStatus.RUNNING:
        return not owner_is_alive(run_dir)
    return result.status is BenchmarkStatus.FAILED and result.failure_kind in RESUMABLE
