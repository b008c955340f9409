"""The one small Protocol every agent driver implements, and what it is given.

An agent gets a ``PhaseContext`` per phase: the spec, the sandbox to work in, the
usage record to report into, the run log, and a deadline. It raises ``AgentError``
when it fails, ``BudgetExceeded`` when a limit stops it, ``InfraError`` when
something outside it (an API outage) does; the runner turns each into a status.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..logs.log import RunLog
from ..model.metrics import Usage
from ..model.spec import BenchmarkConfig, WorkflowPhase
from ..sandbox.sandbox import Sandbox


class AgentError(Exception):
    """The agent could not do the phase's work (counted against the agent)."""


class BudgetExceeded(AgentError):
    """A cost, token, turn or wall-time budget ran out; the agent stopped cleanly."""


class InfraError(Exception):
    """Something outside the agent failed (API outage, missing tool): not the agent's fault."""


class SetupError(Exception):
    """The run cannot start as configured (a cost budget for a model with no known price):
    failure_kind config, neither the agent's fault nor an outage."""


class PhaseTimeout(Exception):
    """The phase's deadline passed before the agent finished."""


@dataclass
class PhaseContext:
    config: BenchmarkConfig
    phase: WorkflowPhase
    phase_index: int
    sandbox: Sandbox
    usage: Usage
    """This phase's record; totals over the run are summed from these."""
    run_usage: Usage
    """What the run consumed before this phase started (for run-wide budgets)."""
    log: RunLog
    deadline: float
    """time.monotonic() value after which the phase has timed out."""
    warnings: list[str] = field(default_factory=list)
    """The run's warnings; ``warn`` adds to them once."""
    on_alive: Callable[[str | None], None] | None = None
    """Told that the agent is still working (and its last tool); the runner rate-limits it."""

    def alive(self, tool: str | None = None) -> None:
        """Call after each turn or tool call, or every few seconds while waiting: live
        progress shows that a long phase is not stuck."""
        if self.on_alive is not None:
            self.on_alive(tool)

    @property
    def stem(self) -> str:
        """``NN-phase``: how the run folder names this phase's files."""
        return f"{self.phase_index + 1:02d}-{self.phase.phase_name}"

    def note(self, kind: str, **data: object) -> None:
        """A transcript entry of this phase."""
        self.log.transcript(kind, phase=self.phase.phase_name, **data)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            self.log.events.warning("warning", message=message)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check_deadline(self) -> None:
        if self.remaining() <= 0:
            raise PhaseTimeout(f"phase {self.phase.phase_name!r} passed its deadline")


@runtime_checkable
class Agent(Protocol):
    """Does the work of one phase inside ``ctx.sandbox.workspace``.

    Two optional methods, looked up by the runner: ``preflight(config, sandbox)`` checks before
    any work that the agent can run at all (its program is installed, it has a key) and
    raises ``SetupError`` if not; ``model_for(config)`` names the model it will use, for
    the result and the database.
    """

    name: str

    def run_phase(self, ctx: PhaseContext) -> None: ...
