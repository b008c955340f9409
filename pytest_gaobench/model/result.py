"""BenchmarkResult: the versioned record of one run, and its JSON form.

``schema_version`` changes whenever a field changes meaning or disappears, so tools
reading old runs can tell which shape they hold.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .metrics import RunMetrics, Usage
from .run_metadata import RunMetadata
from .status import BenchmarkStatus, FailureKind, StatusChange

SCHEMA_VERSION = 1


class PhaseStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class PhaseResult(BaseModel):
    name: str
    role: str
    status: PhaseStatus
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None
    """Why the phase failed, one line, for people."""
    missing_artifacts: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


class CriterionResult(BaseModel):
    name: str
    passed: bool
    detail: str = ""
    failing_tests: list[str] = Field(default_factory=list)
    """'node id: first line of the message' of each failed test, for test criteria."""


class ErrorRecord(BaseModel):
    """An exception or failure met during the run, with the stage it happened in."""

    stage: str
    """'validate', 'sandbox', 'boilerplate', 'phase:<name>' or 'grading'."""
    kind: FailureKind
    type: str
    message: str


class BenchmarkInfo(BaseModel):
    name: str
    version: str = ""
    description: str = ""
    source: str = ""
    """The YAML file this run came from."""
    tags: list[str] = Field(default_factory=list)


class BenchmarkResult(BaseModel):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    benchmark: BenchmarkInfo
    status: BenchmarkStatus = BenchmarkStatus.PENDING
    failure_kind: FailureKind | None = None
    reason: str | None = None
    """Why the run is not COMPLETED, in one line a person can act on."""
    agent: str = ""
    model: str | None = None
    """The model the agent was asked to use (None for agents without one: oracle, nop)."""
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_seconds: float | None = None
    phases: list[PhaseResult] = Field(default_factory=list)
    criteria: list[CriterionResult] = Field(default_factory=list)
    metrics: RunMetrics = Field(default_factory=RunMetrics)
    errors: list[ErrorRecord] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    status_history: list[StatusChange] = Field(default_factory=list)
    workspace: str | None = None
    """Path of the sandbox when it was kept (failure or --gaobench-keep), else None."""
    config: dict[str, Any] = Field(default_factory=dict)
    metadata: RunMetadata = Field(default_factory=RunMetadata)

    @property
    def passed(self) -> bool:
        return self.status is BenchmarkStatus.COMPLETED

    def headline(self) -> str:
        """One line: 'FAILED (criteria): why', 'TIMEOUT: why' or 'COMPLETED'."""
        kind = f" ({self.failure_kind.value})" if self.failure_kind else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.status.value.upper()}{kind}{reason}"

    def summary(self) -> str:
        lines = [f"{self.benchmark.name} [{self.run_id}]: {self.status.value.upper()}"]
        if self.reason:
            kind = f"{self.failure_kind.value}: " if self.failure_kind else ""
            lines.append(f"  reason: {kind}{self.reason}")
        if self.duration_seconds is not None:
            lines.append(f"  duration: {self.duration_seconds:.2f}s")
        usage = self.metrics.usage
        if usage.api_calls is not None or usage.turns is not None:
            cost = "unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
            lines.append(f"  usage: {_count(usage.api_calls)} API calls, "
                         f"{_count(usage.turns)} turns, {_count(usage.tool_calls)} tool calls, "
                         f"{_count(usage.tokens_total)} tokens (input "
                         f"{_count(usage.tokens_input)}, output {_count(usage.tokens_output)}, "
                         f"cache read {_count(usage.tokens_cache_read)}, cache write "
                         f"{_count(usage.tokens_cache_write)}), cost {cost}"
                         + (" (-: not measured)" if None in (
                             usage.api_calls, usage.turns, usage.tool_calls,
                             usage.tokens_input, usage.tokens_output, usage.tokens_cache_read,
                             usage.tokens_cache_write) else ""))
        if self.agent:
            lines.append(f"  agent: {self.agent}" + (f", model {self.model}" if self.model
                                                     else ""))
        for phase in self.phases:
            took = f" {phase.duration_seconds:.2f}s" if phase.duration_seconds is not None else ""
            error = f" - {phase.error}" if phase.error else ""
            lines.append(f"  phase {phase.name}: {phase.status.value}{took}{error}")
        for criterion in self.criteria:
            mark = "ok" if criterion.passed else "FAIL"
            detail = f" - {criterion.detail}" if criterion.detail else ""
            lines.append(f"  criterion {criterion.name}: {mark}{detail}")
            lines += [f"    failed: {test}" for test in criterion.failing_tests[:5]]
        if self.workspace:
            lines.append(f"  sandbox kept at {self.workspace}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> BenchmarkResult:
        return cls.model_validate_json(text)

    @classmethod
    def load(cls, path: Path) -> BenchmarkResult:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def write(self, path: Path) -> None:
        write_atomically(path, self.to_json())


def worth_inspecting(status: BenchmarkStatus, kind: FailureKind | None) -> bool:
    """Whether a run's workspace is kept: failures are, but not interrupted runs or successes."""
    return status is not BenchmarkStatus.COMPLETED and kind is not FailureKind.INTERRUPTED


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file. The file
    gets the user's umask like the logs beside it (mkstemp's would be 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_status(path: Path, run_id: str, history: list[StatusChange]) -> None:
    payload = {"run_id": run_id,
               "history": [change.model_dump(mode="json") for change in history]}
    write_atomically(path, json.dumps(payload, indent=2))


def _count(value: int | None) -> str:
    """A measured count, or ``-``: absent is not measured, never 0."""
    return "-" if value is None else f"{value:,}"
