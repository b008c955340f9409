"""Benchmark status, failure kinds and the timestamped transition history.

The five statuses are the seed's; their string values are what every output
(result.json, status.json, JUnit, the database) carries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel


class BenchmarkStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({BenchmarkStatus.COMPLETED, BenchmarkStatus.FAILED, BenchmarkStatus.TIMEOUT})

_ALLOWED: dict[BenchmarkStatus, frozenset[BenchmarkStatus]] = {
    BenchmarkStatus.PENDING: frozenset({BenchmarkStatus.RUNNING, BenchmarkStatus.FAILED}),
    BenchmarkStatus.RUNNING: _FINAL,
    BenchmarkStatus.COMPLETED: frozenset(),
    BenchmarkStatus.FAILED: frozenset(),
    BenchmarkStatus.TIMEOUT: frozenset(),
}


class FailureKind(StrEnum):
    """Why a run did not complete; infra failures are never the agent's."""

    CONFIG = "config"
    INFRA = "infra"
    AGENT = "agent"
    CRITERIA = "criteria"
    INTERRUPTED = "interrupted"


class InvalidTransition(RuntimeError):
    """A status change the lifecycle does not allow (a harness bug, not a benchmark failure)."""


class StatusChange(BaseModel):
    status: BenchmarkStatus
    at: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


class StatusHistory:
    """The current status plus every transition, each reported to ``on_change`` at once.

    ``on_change`` is how the runner persists status.json on every transition, so a
    killed run still leaves a readable trail.
    """

    def __init__(self, on_change: Callable[[StatusHistory], None] | None = None) -> None:
        self.changes = [StatusChange(status=BenchmarkStatus.PENDING, at=utcnow())]
        self._on_change = on_change

    @property
    def current(self) -> BenchmarkStatus:
        return self.changes[-1].status

    def transition(self, new: BenchmarkStatus) -> None:
        if new not in _ALLOWED[self.current]:
            raise InvalidTransition(f"cannot go from {self.current.value} to {new.value}")
        self.changes.append(StatusChange(status=new, at=utcnow()))
        if self._on_change is not None:
            self._on_change(self)
