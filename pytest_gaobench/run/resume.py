"""Finding the run to resume: an interrupted, infra-failed or killed run with a checkpoint.

A resumed run is a new run (its own run_id and status history, since a finished
history never changes) that starts from the last completed phase's checkpoint and
carries the earlier phases' results and spend, with ``metadata.resumed_from``.

Runs are found by what they ran (benchmark, agent, model, attempt: ``RunKey``), so each
item of a session resumes its own run, never another agent's or model's. They are found
in the index of checkpointed runs beside the runs folder (``resumable.jsonl`` in the
gaobench folder, a line appended at each run's first checkpoint; the runs folder holds
only runs), not by reading every run's result. A run is resumed once:
the resuming run claims it (``resumed-by`` in its folder, created exclusively, so two
workers cannot both take it), and a claimed run is never offered again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import ValidationError

from ..model.result import BenchmarkResult, PhaseResult, PhaseStatus
from ..model.run_metadata import Checkpoint, RunMetadata
from ..model.status import BenchmarkStatus, FailureKind
from .ownership import owner_is_alive

RESUMABLE = (FailureKind.INTERRUPTED, FailureKind.INFRA)
LATEST = "latest"
INDEX = "resumable.jsonl"
CLAIM = "resumed-by"


@dataclass(frozen=True)
class RunKey:
    """What a run ran: a resumed run must have run the same."""

    benchmark: str
    agent: str | None
    model: str | None
    attempt: int | None

    @classmethod
    def of(cls, result: BenchmarkResult) -> RunKey:
        return cls(result.benchmark.name, result.agent, result.model, result.metadata.attempt)


@dataclass(frozen=True)
class ResumePoint:
    previous: BenchmarkResult
    checkpoint: Checkpoint
    archive: Path
    run_dir: Path

    @property
    def completed_phases(self) -> int:
        return self.checkpoint.phase_index + 1

    def earlier_phase(self, name: str, role: str) -> PhaseResult:
        """A phase the resumed run finished: its result (and spend), carried over."""
        earlier = next((p for p in self.previous.phases if p.name == name), None)
        if earlier is None:
            earlier = PhaseResult(name=name, role=role, status=PhaseStatus.COMPLETED)
        return earlier.model_copy(deep=True)

    def carry_into(self, metadata: RunMetadata) -> None:
        """What the new run takes from the resumed one: its boilerplate, its count of
        tests at the start, and the checkpoint it starts from."""
        previous = self.previous.metadata
        metadata.resumed_from = self.previous.run_id
        metadata.boilerplate = previous.boilerplate
        metadata.tests_at_start = previous.tests_at_start or 0
        metadata.checkpoints = [self.checkpoint.model_copy(
            update={"archive": str(self.archive)})]

    def claim(self, by: str) -> bool:
        """Take this run for the run ``by``; False when another run took it first."""
        try:
            fd = os.open(self.run_dir / CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(by + "\n")
        return True


def index_of(runs_dir: Path) -> Path:
    return runs_dir.parent / INDEX


def index_checkpointed_run(runs_dir: Path, run_id: str, key: RunKey) -> None:
    """Add a run to the index of runs that may be resumed (at its first checkpoint): one
    line, appended in one write, so runs of parallel workers do not mix their lines."""
    line = json.dumps({"run_id": run_id, **asdict(key)}) + "\n"
    fd = os.open(index_of(runs_dir), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _indexed(runs_dir: Path, key: RunKey) -> Iterator[str]:
    """Run ids of the index with ``key``, newest first."""
    try:
        lines = index_of(runs_dir).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        run_id = entry.pop("run_id", None) if isinstance(entry, dict) else None
        if isinstance(run_id, str) and "/" not in run_id and entry == asdict(key):
            yield run_id


def find_resume_point(runs_dir: Path, key: RunKey, wanted: str) -> ResumePoint | None:
    """The run ``wanted`` (a run id, or 'latest') that ran ``key``, if it can be resumed."""
    for run_id in _indexed(runs_dir, key):
        if wanted != LATEST and run_id != wanted:
            continue
        run_dir = runs_dir / run_id
        try:
            result = BenchmarkResult.load(run_dir / "result.json")
        except (OSError, ValueError, ValidationError):
            continue
        if RunKey.of(result) != key or not _resumable(result, run_dir):
            continue
        checkpoint = result.metadata.checkpoints[-1]
        archive = run_dir / checkpoint.archive  # an absolute archive path stays as it is
        if archive.is_file():
            return ResumePoint(previous=result, checkpoint=checkpoint, archive=archive,
                               run_dir=run_dir)
    return None


def _resumable(result: BenchmarkResult, run_dir: Path) -> bool:
    """Interrupted or infra-failed, or left ``running`` by a process that is gone (killed),
    with a checkpoint to start from, and not resumed already."""
    if not result.metadata.checkpoints or (run_dir / CLAIM).exists():
        return False
    if result.status is BenchmarkStatus.RUNNING:
        return not owner_is_alive(run_dir)
    return result.status is BenchmarkStatus.FAILED and result.failure_kind in RESUMABLE
