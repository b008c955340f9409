"""How a run ends: a small ``Outcome`` value, and the one decision of whose failure an
error is.

Stages of the runner return an Outcome (or None to go on); the runner turns the last
one into the result's status, failure kind and reason. Agents and grading say what
happened by the exception they raise; ``ENDINGS`` alone says what it means (the agent's,
a budget, infra, configuration), for every agent, every stage and for grading, and what an
interruption means.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..agents.base import AgentError, BudgetExceeded, InfraError, PhaseTimeout, SetupError
from ..environment import EnvironmentConfigError, EnvironmentSetupError
from ..grading.errors import GradingSetupError
from ..model.status import BenchmarkStatus, FailureKind
from ..sandbox.boilerplate import BoilerplateError
from ..sandbox.sandbox import SandboxError
from .checkpoint import CheckpointTooLarge
from .setup_commands import SetupCommandFailed


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


@dataclass(frozen=True)
class Ending:
    """What an error means: whose failure, the reason in a phase, and whether a phase's
    ``continue_on_failure`` may let the run go on past it."""

    kind: FailureKind
    in_phase: str
    overridable: bool = False


_INFRA = Ending(FailureKind.INFRA, "infrastructure failure in phase {phase!r}: {error}")
ENDINGS: tuple[tuple[type[Exception], Ending], ...] = (
    (PhaseTimeout, Ending(FailureKind.AGENT, "phase {phase!r} timed out: {error}")),
    (BudgetExceeded, Ending(FailureKind.AGENT, "budget exceeded in phase {phase!r}: {error}")),
    (AgentError, Ending(FailureKind.AGENT, "phase {phase!r} failed: {error}", True)),
    (CheckpointTooLarge, Ending(FailureKind.AGENT, "phase {phase!r}: {error}")),
    (InfraError, _INFRA),
    (SandboxError, _INFRA),
    (BoilerplateError, _INFRA),
    (SetupCommandFailed, _INFRA),
    (EnvironmentConfigError, Ending(FailureKind.CONFIG,
                                    "phase {phase!r} cannot run as configured: {error}")),
    (EnvironmentSetupError, _INFRA),
    (GradingSetupError, _INFRA),
    (SetupError, Ending(FailureKind.CONFIG,
                        "phase {phase!r} cannot run as configured: {error}")),
    (Exception, Ending(FailureKind.INFRA,
                       "the {agent} agent crashed in phase {phase!r}: {error}")),
)
"""The first class that matches wins. Never the agent's: an outage, the sandbox, the
boilerplate, a setup command, grading that could not be set up, a harness bug."""
OWN_WORDS = (AgentError, InfraError, SetupError, SandboxError)
"""Errors whose message says it all; of others the type is named too."""


def ending_of(exc: Exception) -> Ending:
    return next(ending for cls, ending in ENDINGS if isinstance(exc, cls))


def described(exc: Exception) -> str:
    return str(exc) if isinstance(exc, OWN_WORDS) else f"{type(exc).__name__}: {exc}"


def phase_outcome(exc: Exception, phase: str, error: str, agent: str) -> Outcome:
    """How a phase that raised ``exc`` (described as ``error``) ends the run."""
    ending = ending_of(exc)
    return Outcome.failed(ending.kind, ending.in_phase.format(phase=phase, error=error,
                                                              agent=agent),
                          overridable=ending.overridable)
