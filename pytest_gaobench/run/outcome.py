"""How a run ends: a small ``Outcome`` value, and what an interruption means.

Stages of the runner return an Outcome (or None to go on); the runner turns the last
one into the result's status, failure kind and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.status import BenchmarkStatus, FailureKind


@dataclass(frozen=True)
class Outcome:
    status: BenchmarkStatus
    kind: FailureKind | None = None
    reason: str = ""
    overridable: bool = True
    """Whether a phase's ``continue_on_failure`` may let the run go on past it (budgets,
    infra failures and crashes may not)."""

    @classmethod
    def completed(cls) -> Outcome:
        return cls(BenchmarkStatus.COMPLETED)

    @classmethod
    def failed(cls, kind: FailureKind, reason: str, *, overridable: bool = True) -> Outcome:
        return cls(BenchmarkStatus.FAILED, kind, reason, overridable)

    @classmethod
    def timeout(cls, reason: str) -> Outcome:
        return cls(BenchmarkStatus.TIMEOUT, None, reason)


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM: it takes the same path as Ctrl-C."""


def interruption_outcome(exc: BaseException) -> Outcome:
    """The outcome of a run stopped by a BaseException (Ctrl-C, SIGTERM, an exit)."""
    if isinstance(exc, Terminated):
        return Outcome.failed(FailureKind.INTERRUPTED, "terminated (SIGTERM)")
    if isinstance(exc, KeyboardInterrupt):
        return Outcome.failed(FailureKind.INTERRUPTED, "interrupted (Ctrl-C)")
    return Outcome.failed(FailureKind.INTERRUPTED, f"interrupted ({type(exc).__name__})")
