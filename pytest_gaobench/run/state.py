"""One run in progress, and what it records as it goes: its errors (whose failure each is
comes from ``outcome``), the phases' missing artifacts, and the count of tests at the start
once it is known."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..grading.workspace import matching_files
from ..logs.log import RunLog
from ..logs.redaction import Redactor
from ..model.result import BenchmarkResult, ErrorRecord, PhaseResult, PhaseStatus
from ..model.spec import WorkflowPhase
from ..model.status import BenchmarkStatus, FailureKind, StatusHistory
from ..sandbox.sandbox import Sandbox
from .collector import MetricsCollector
from .outcome import Outcome, ending_of
from .ownership import RunLock
from .start_count import StartCount


@dataclass
class RunState:
    """One run in progress: where it lives, what it has recorded, where it stands."""

    sandbox: Sandbox
    result: BenchmarkResult
    log: RunLog
    history: StatusHistory
    started: float
    """time.monotonic() at the start."""
    deadline: float
    """time.monotonic() value at which the whole run times out."""
    metrics: MetricsCollector
    """Where the agent and grading report this run's numbers (cleared at the start)."""
    lock: RunLock
    """Held for the run's life: tells a resume that this run is not dead."""
    stage: str = "validate"
    """Where the run is: each error is recorded with it."""
    start_count: StartCount | None = None
    """The boilerplate's tests, still being collected beside the agent (else the count is
    in the result's metadata already)."""

    def take_start_count(self, *, wait: bool) -> None:
        """Put the start's count in the metadata once it is known (``wait``: wait for it)."""
        pending = self.start_count
        if pending is not None and (wait or pending.done):
            self.result.metadata.tests_at_start = pending.count()
            self.start_count = None

    def record(self, redactor: Redactor, exc: BaseException,
               kind: FailureKind | None = None) -> Outcome:
        """Add ``exc`` to the run's errors and log; the outcome if it ends the run. Whose
        failure it is comes from ``outcome.ENDINGS`` (``kind``: an interruption's)."""
        if kind is None:
            kind = ending_of(exc).kind if isinstance(exc, Exception) else FailureKind.AGENT
        message = redactor.text(str(exc)) or type(exc).__name__
        self.result.errors.append(ErrorRecord(stage=self.stage, kind=kind,
                                              type=type(exc).__name__, message=message))
        self.log.events.error("error", stage=self.stage, kind=kind.value,
                              type=type(exc).__name__, message=message,
                              exc_info=kind is FailureKind.INFRA)
        return Outcome.failed(kind, f"{self.stage}: {message}", overridable=False)

    def check_artifacts(self, phase: WorkflowPhase, record: PhaseResult) -> Outcome | None:
        """The phase's expected artifacts: one missing fails the run as the agent's."""
        missing = [p for p in phase.expected_artifacts
                   if not matching_files(self.sandbox.workspace, p)]
        if not missing:
            return None
        record.status, record.missing_artifacts = PhaseStatus.FAILED, missing
        record.error = f"expected artifacts missing: {', '.join(missing)}"
        self.result.errors.append(ErrorRecord(stage=self.stage, kind=FailureKind.AGENT,
                                              type="MissingArtifacts", message=record.error))
        self.log.events.warning("artifacts_missing", phase=phase.phase_name, missing=missing)
        return Outcome.failed(FailureKind.AGENT, f"phase {phase.phase_name!r}: {record.error}")

    def goes_on_after(self, phase: WorkflowPhase, outcome: Outcome) -> bool:
        """Whether ``continue_on_failure`` lets the run go on past this phase's outcome."""
        if not (phase.continue_on_failure and outcome.overridable):
            return False
        name = phase.phase_name
        if outcome.status is BenchmarkStatus.FAILED and outcome.kind is FailureKind.AGENT:
            self.result.warnings.append(f"phase {name!r} failed and the run went on "
                                         f"(continue_on_failure): {outcome.reason}")
            return True
        if outcome.status is BenchmarkStatus.TIMEOUT and time.monotonic() < self.deadline:
            self.result.warnings.append(f"phase {name!r} timed out and the run went on "
                                         f"(continue_on_failure)")
            return True
        return False
