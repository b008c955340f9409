"""Whose failure an error is: one table (run.outcome.ENDINGS) for every stage, agent and
grading; what cannot set grading up is infra, never a failed criterion."""

from __future__ import annotations

import pytest

from pytest_gaobench.agents.base import (
    AgentError,
    BudgetExceeded,
    InfraError,
    PhaseTimeout,
    SetupError,
)
from pytest_gaobench.grading.errors import GradingSetupError
from pytest_gaobench.grading.out_of_process import SolutionHostError
from pytest_gaobench.model.status import BenchmarkStatus, FailureKind
from pytest_gaobench.run.checkpoint import CheckpointTooLarge
from pytest_gaobench.run.outcome import described, ending_of, phase_outcome
from pytest_gaobench.run.setup_commands import SetupCommandFailed
from pytest_gaobench.sandbox.boilerplate import BoilerplateError
from pytest_gaobench.sandbox.sandbox import SandboxError

AGENT, INFRA, CONFIG = FailureKind.AGENT, FailureKind.INFRA, FailureKind.CONFIG


@pytest.mark.parametrize(("error", "kind", "overridable", "reason"), [
    (AgentError("it gave up"), AGENT, True, "phase 'build' failed: it gave up"),
    (BudgetExceeded("max_turns: 3"), AGENT, False,
     "budget exceeded in phase 'build': max_turns: 3"),
    (PhaseTimeout("late"), AGENT, False, "phase 'build' timed out: PhaseTimeout: late"),
    (CheckpointTooLarge("too big"), AGENT, False, "phase 'build': CheckpointTooLarge: too big"),
    (InfraError("529"), INFRA, False, "infrastructure failure in phase 'build': 529"),
    (SandboxError("no bwrap"), INFRA, False,
     "infrastructure failure in phase 'build': no bwrap"),
    (BoilerplateError("gone"), INFRA, False,
     "infrastructure failure in phase 'build': BoilerplateError: gone"),
    (SetupCommandFailed("pip"), INFRA, False,
     "infrastructure failure in phase 'build': SetupCommandFailed: pip"),
    (GradingSetupError("no git"), INFRA, False,
     "infrastructure failure in phase 'build': GradingSetupError: no git"),
    (SolutionHostError("did not start"), INFRA, False,
     "infrastructure failure in phase 'build': SolutionHostError: did not start"),
    (SetupError("no price"), CONFIG, False,
     "phase 'build' cannot run as configured: no price"),
    (KeyError("bug"), INFRA, False, "the codex agent crashed in phase 'build': KeyError: 'bug'"),
])
def test_each_error_means_one_thing_wherever_it_is_raised(
        error: Exception, kind: FailureKind, overridable: bool, reason: str) -> None:
    assert ending_of(error).kind is kind
    outcome = phase_outcome(error, "build", described(error), "codex")
    assert (outcome.status, outcome.kind, outcome.overridable, outcome.reason) == (
        BenchmarkStatus.FAILED, kind, overridable, reason)
