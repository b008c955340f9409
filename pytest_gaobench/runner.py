"""BenchmarkRunner: the lifecycle of one run, and nothing else.

validate -> sandbox -> boilerplate -> phases in order -> metrics -> grading, and in
every case: end time, partial metrics, result.json, status history, listeners, and
cleanup of what the runner created. Every exception is caught, logged and recorded
with the stage it happened in; Ctrl-C and pytest's own control flow are recorded
as ``interrupted`` and then re-raised, never swallowed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .agents.base import Agent, AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .boilerplate import BoilerplateError, BoilerplateManager
from .checkpoint import restore_checkpoint, save_checkpoint
from .criteria import count_test_functions, grade, matching_files
from .custom_metrics import measure_custom_metrics
from .interrupts import interruption
from .logging import RunLog
from .metrics import MetricsCollector
from .redaction import Redactor
from .result import (
    BenchmarkInfo,
    BenchmarkResult,
    ErrorRecord,
    PhaseResult,
    PhaseStatus,
    worth_inspecting,
    write_status,
)
from .resume import ResumePoint
from .sandbox import Sandbox, SandboxError, SandboxManager
from .spec import BenchmarkConfig, SpecError, WorkflowPhase
from .status import BenchmarkStatus, FailureKind, StatusHistory, utcnow

ResultListener = Callable[[BenchmarkResult], None]


class _Stop(Exception):
    """Ends the run early with a final status; raised and caught inside the runner only."""

    def __init__(self, status: BenchmarkStatus, kind: FailureKind | None, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason


class BenchmarkRunner:
    def __init__(self, config: BenchmarkConfig, sandbox_manager: SandboxManager,
                 boilerplate_manager: BoilerplateManager, metrics_collector: MetricsCollector,
                 agent: Agent, *, sandbox: Sandbox | None = None,
                 redactor: Redactor | None = None,
                 listeners: Sequence[ResultListener] = (),
                 resume: ResumePoint | None = None, attempt: int | None = None) -> None:
        """``sandbox``: a run directory made by the caller, who then also cleans it up.
        ``resume``: start from an earlier run's checkpoint instead of the boilerplate."""
        self.config = config
        self.sandbox_manager = sandbox_manager
        self.boilerplate_manager = boilerplate_manager
        self.metrics = metrics_collector
        self.agent = agent
        self._given_sandbox = sandbox
        self.redactor = redactor or Redactor()
        self.listeners = list(listeners)
        self.resume = resume
        self.attempt = attempt
        self._tests_at_start = 0
        self._stage = "validate"

    def run(self) -> BenchmarkResult:
        sandbox = self._given_sandbox or self.sandbox_manager.create(self.config.name)
        result = BenchmarkResult(
            run_id=sandbox.run_id, benchmark=benchmark_info(self.config), agent=self.agent.name,
            config=self.redactor.value(self.config.model_dump(mode="json")))
        if self.attempt is not None:
            result.metadata["attempt"] = self.attempt
        history = StatusHistory(
            on_change=lambda h: write_status(sandbox.run_dir / "status.json", sandbox.run_id,
                                             h.changes))
        write_status(sandbox.run_dir / "status.json", sandbox.run_id, history.changes)
        log = RunLog(sandbox.run_dir, self.redactor, run_id=sandbox.run_id,
                     benchmark=self.config.name)
        started = time.monotonic()
        result.start_time = utcnow()
        history.transition(BenchmarkStatus.RUNNING)
        log.events.info("run_started", agent=self.agent.name, workspace=str(sandbox.workspace))
        final: _Stop | None = None
        try:
            self._set_up(sandbox, result, log)
            final = self._run_phases(sandbox, result, log, started)
            if final is None:
                self._snapshot(sandbox, result)
                final = self._grade(sandbox, result, log)
        except _Stop as stop:
            final = stop
        except Exception as exc:  # a harness or driver bug: recorded, never the agent's
            final = self._record(result, log, self._stage, FailureKind.INFRA, exc)
        except BaseException as exc:  # Ctrl-C, SIGTERM, pytest's Exit: record, then re-raise
            final = _Stop(*interruption(exc))
            self._record(result, log, self._stage, final.kind or FailureKind.AGENT, exc)
            raise
        finally:
            self._finish(sandbox, result, history, log, started, final)
        return result

    # -- stages -----------------------------------------------------------------------

    def _set_up(self, sandbox: Sandbox, result: BenchmarkResult, log: RunLog) -> None:
        self._stage = "sandbox"
        result.metadata["isolation"] = sandbox.isolation.name
        sandbox.network = self.config.allow_network
        try:
            self.sandbox_manager.init_workspace(sandbox)
        except SandboxError as exc:
            raise self._record(result, log, "sandbox", FailureKind.INFRA, exc) from exc
        self._stage = "boilerplate"
        if self.resume is not None:
            self._restore(sandbox, result, log, self.resume)
            return
        try:
            info = self.boilerplate_manager.prepare(self.config, sandbox.workspace)
        except BoilerplateError as exc:
            raise self._record(result, log, "boilerplate", FailureKind.INFRA, exc) from exc
        log.events.info("boilerplate_ready", kind=info.kind, source=info.source,
                        commit=info.commit)
        self._tests_at_start = count_test_functions(sandbox.workspace)
        result.metadata["tests_at_start"] = self._tests_at_start
        result.metadata["boilerplate"] = {"kind": info.kind, "source": info.source,
                                          "commit": info.commit}

    def _restore(self, sandbox: Sandbox, result: BenchmarkResult, log: RunLog,
                 resume: ResumePoint) -> None:
        restore_checkpoint(resume.archive, sandbox.workspace)
        previous = resume.previous
        result.metadata["resumed_from"] = previous.run_id
        result.metadata["boilerplate"] = previous.metadata.get("boilerplate")
        self._tests_at_start = int(previous.metadata.get("tests_at_start") or 0)
        result.metadata["tests_at_start"] = self._tests_at_start
        inherited = resume.checkpoint.model_copy(update={"archive": str(resume.archive)})
        result.metadata["checkpoints"] = [inherited.model_dump()]
        log.events.info("resumed", from_run=previous.run_id, after_phase=resume.checkpoint.phase)

    def _run_phases(self, sandbox: Sandbox, result: BenchmarkResult, log: RunLog,
                    started: float) -> _Stop | None:
        run_deadline = started + self.config.timeout_seconds
        phases = self.config.workflow_phases
        done_before = self.resume.completed_phases if self.resume else 0
        for index, phase in enumerate(phases):
            if index < done_before:
                self._carry_over(index, phase, result)
                continue
            self._snapshot(sandbox, result)
            outcome = self._run_phase(index, phase, sandbox, result, log, run_deadline)
            if outcome is None:
                if index < len(phases) - 1:
                    self._checkpoint(sandbox, result, index, phase)
                continue
            if outcome.status is BenchmarkStatus.FAILED and outcome.kind is FailureKind.AGENT \
                    and phase.continue_on_failure and not isinstance(outcome, _HardStop):
                result.warnings.append(f"phase {phase.phase_name!r} failed and the run went "
                                       f"on (continue_on_failure): {outcome.reason}")
                self._checkpoint(sandbox, result, index, phase)
                continue
            if outcome.status is BenchmarkStatus.TIMEOUT and phase.continue_on_failure \
                    and time.monotonic() < run_deadline:
                result.warnings.append(f"phase {phase.phase_name!r} timed out and the run "
                                       f"went on (continue_on_failure)")
                self._checkpoint(sandbox, result, index, phase)
                continue
            return outcome
        return None

    def _snapshot(self, sandbox: Sandbox, result: BenchmarkResult) -> None:
        """result.json as the run stands (status running), rewritten before each phase and
        before grading: even a killed harness leaves the phases it finished on disk."""
        partial = result.model_copy(deep=True)
        partial.status = BenchmarkStatus.RUNNING
        self._fill_metrics(partial, sandbox)
        partial.write(sandbox.run_dir / "result.json")

    def _carry_over(self, index: int, phase: WorkflowPhase, result: BenchmarkResult) -> None:
        """A phase finished by the run being resumed: its result and its spend count here."""
        assert self.resume is not None
        earlier = next((p for p in self.resume.previous.phases if p.name == phase.phase_name),
                       None)
        if earlier is None:
            earlier = PhaseResult(name=phase.phase_name, role=phase.agent,
                                  status=PhaseStatus.COMPLETED)
        result.phases.append(earlier.model_copy(deep=True))
        self.metrics.phases[phase.phase_name] = earlier.usage.model_copy()

    def _checkpoint(self, sandbox: Sandbox, result: BenchmarkResult, index: int,
                    phase: WorkflowPhase) -> None:
        checkpoint = save_checkpoint(sandbox.run_dir, sandbox.workspace, index, phase.phase_name)
        result.metadata.setdefault("checkpoints", []).append(checkpoint.model_dump())

    def _run_phase(self, index: int, phase: WorkflowPhase, sandbox: Sandbox,
                   result: BenchmarkResult, log: RunLog, run_deadline: float) -> _Stop | None:
        name = phase.phase_name
        phase_started = time.monotonic()
        deadline = min(phase_started + self.config.phase_timeout(phase), run_deadline)
        record = PhaseResult(name=name, role=phase.agent, status=PhaseStatus.COMPLETED,
                             start_time=utcnow())
        result.phases.append(record)
        usage_before = self.metrics.total()
        ctx = PhaseContext(config=self.config, phase=phase, phase_index=index, sandbox=sandbox,
                           usage=self.metrics.phase(name), run_usage=usage_before, log=log,
                           deadline=deadline, warnings=result.warnings)
        log.events.info("phase_started", phase=name, role=phase.agent)
        stage = self._stage = f"phase:{name}"
        outcome: _Stop | None = None
        try:
            self.agent.run_phase(ctx)
            if time.monotonic() > deadline:
                raise PhaseTimeout(f"phase {name!r} finished after its deadline")
        except PhaseTimeout as exc:
            record.status = PhaseStatus.TIMEOUT
            limit = deadline - phase_started
            record.error = f"timed out after {limit:.1f}s"
            self._record(result, log, stage, FailureKind.AGENT, exc)
            outcome = _Stop(BenchmarkStatus.TIMEOUT, None,
                            f"phase {name!r} timed out after {limit:.1f}s")
        except Exception as exc:
            stop, kind, template = _phase_failure(exc)
            expected = isinstance(exc, AgentError | InfraError)
            record.status = PhaseStatus.FAILED
            record.error = str(exc) if expected else f"{type(exc).__name__}: {exc}"
            self._record(result, log, stage, kind, exc)
            outcome = stop(BenchmarkStatus.FAILED, kind,
                           template.format(phase=name, error=record.error, agent=self.agent.name))
        except BaseException:
            record.status, record.error = PhaseStatus.FAILED, "interrupted"
            raise
        finally:
            record.end_time = utcnow()
            record.duration_seconds = time.monotonic() - phase_started
            record.usage = self.metrics.phase(name).model_copy()
            log.events.info("phase_finished", phase=name, status=record.status.value,
                            seconds=round(record.duration_seconds, 3))
        if outcome is None:
            missing = [p for p in phase.expected_artifacts
                       if not matching_files(sandbox.workspace, p)]
            if missing:
                record.status, record.missing_artifacts = PhaseStatus.FAILED, missing
                record.error = f"expected artifacts missing: {', '.join(missing)}"
                result.errors.append(ErrorRecord(stage=stage, kind=FailureKind.AGENT,
                                                 type="MissingArtifacts", message=record.error))
                log.events.warning("artifacts_missing", phase=name, missing=missing)
                outcome = _Stop(BenchmarkStatus.FAILED, FailureKind.AGENT,
                                f"phase {name!r}: {record.error}")
        return outcome

    def _grade(self, sandbox: Sandbox, result: BenchmarkResult, log: RunLog) -> _Stop:
        self._stage = "grading"
        log.events.info("grading_started")
        interventions = self.metrics.total().manual_interventions or 0
        grading = grade(self.config, sandbox, sandbox.run_dir / "grading",
                        errors=len(result.errors), manual_interventions=interventions)
        result.criteria = grading.criteria
        self.metrics.quality = grading.quality
        self.metrics.quality.tests_written = max(
            count_test_functions(sandbox.workspace) - self._tests_at_start, 0)
        custom, problems = measure_custom_metrics(self.config, sandbox)
        self.metrics.custom.update(custom)
        result.warnings.extend(problems)
        for criterion in grading.criteria:
            log.events.info("criterion", name=criterion.name, passed=criterion.passed,
                            detail=criterion.detail)
        if grading.passed:
            return _Stop(BenchmarkStatus.COMPLETED, None, "")
        failed = "; ".join(f"{c.name} ({c.detail})" for c in grading.failures())
        return _Stop(BenchmarkStatus.FAILED, FailureKind.CRITERIA,
                     f"success criteria not met: {failed}")

    def _finish(self, sandbox: Sandbox, result: BenchmarkResult, history: StatusHistory,
                log: RunLog, started: float, final: _Stop | None) -> None:
        if final is None:  # only when an exception escaped before any outcome was known
            final = _Stop(BenchmarkStatus.FAILED, FailureKind.INTERRUPTED, "interrupted")
        result.end_time = utcnow()
        result.duration_seconds = time.monotonic() - started
        result.reason = self.redactor.text(final.reason) or None
        result.failure_kind = final.kind
        reached = {p.name for p in result.phases}
        result.phases += [PhaseResult(name=p.phase_name, role=p.agent, status=PhaseStatus.SKIPPED)
                          for p in self.config.workflow_phases if p.phase_name not in reached]
        result.metrics.workflow.one_shot_success = (
            final.status is BenchmarkStatus.COMPLETED
            and all(p.status is PhaseStatus.COMPLETED for p in result.phases)
            and not self.metrics.total().manual_interventions)
        self._fill_metrics(result, sandbox)
        failed = worth_inspecting(final.status, final.kind)
        if self._given_sandbox is None:
            kept = self.sandbox_manager.cleanup(sandbox, failed=failed)
        else:  # the caller (the gaobench_sandbox fixture) cleans up what it made
            kept = self.sandbox_manager.would_keep(sandbox, failed=failed)
        result.workspace = str(kept) if kept else None
        history.transition(final.status)
        result.status = history.current
        result.status_history = list(history.changes)
        result.errors = [e.model_copy(update={"message": self.redactor.text(e.message)})
                         for e in result.errors]
        result.write(sandbox.run_dir / "result.json")
        log.events.info("run_finished", status=result.status.value,
                        failure_kind=result.failure_kind, reason=result.reason,
                        seconds=round(result.duration_seconds, 3))
        log.close()
        for listener in self.listeners:
            listener(result)

    def _fill_metrics(self, result: BenchmarkResult, sandbox: Sandbox) -> None:
        metrics = result.metrics
        metrics.duration_seconds = result.duration_seconds
        metrics.phase_seconds = {p.name: p.duration_seconds for p in result.phases
                                 if p.duration_seconds is not None}
        metrics.usage = self.metrics.total()
        metrics.quality = self.metrics.quality
        metrics.custom = dict(self.metrics.custom)
        metrics.workflow.phases_completed = sum(p.status is PhaseStatus.COMPLETED
                                                for p in result.phases)
        metrics.workflow.phases_failed = sum(p.status in (PhaseStatus.FAILED, PhaseStatus.TIMEOUT)
                                             for p in result.phases)
        patterns = [p for phase in self.config.workflow_phases for p in phase.expected_artifacts]
        if patterns and sandbox.workspace.exists():
            found = {f for p in patterns for f in matching_files(sandbox.workspace, p)}
            metrics.workflow.artifacts_produced = len(found)
        metrics.workflow.commits = count_new_commits(
            sandbox.workspace, (result.metadata.get("boilerplate") or {}).get("commit"))

    def _record(self, result: BenchmarkResult, log: RunLog, stage: str, kind: FailureKind,
                exc: BaseException) -> _Stop:
        message = self.redactor.text(str(exc)) or type(exc).__name__
        result.errors.append(ErrorRecord(stage=stage, kind=kind, type=type(exc).__name__,
                                         message=message))
        log.events.error("error", stage=stage, kind=kind.value, type=type(exc).__name__,
                         message=message, exc_info=kind is FailureKind.INFRA)
        return _Stop(BenchmarkStatus.FAILED, kind, f"{stage}: {message}")



class _HardStop(_Stop):
    """A stop that continue_on_failure does not override (budgets, infra failures)."""


# How a phase's exception ends it: the stop (a hard stop ignores continue_on_failure),
# whose failure it is, and the reason. The first matching class wins.
_PHASE_FAILURES: tuple[tuple[type[Exception], type[_Stop], FailureKind, str], ...] = (
    (BudgetExceeded, _HardStop, FailureKind.AGENT, "budget exceeded in phase {phase!r}: {error}"),
    (AgentError, _Stop, FailureKind.AGENT, "phase {phase!r} failed: {error}"),
    (InfraError, _HardStop, FailureKind.INFRA, "infrastructure failure in phase {phase!r}: "
                                               "{error}"),
    (Exception, _HardStop, FailureKind.INFRA, "the {agent} agent crashed in phase {phase!r}: "
                                              "{error}"),
)


def _phase_failure(exc: Exception) -> tuple[type[_Stop], FailureKind, str]:
    return next((stop, kind, template) for cls, stop, kind, template in _PHASE_FAILURES
                if isinstance(exc, cls))


def count_new_commits(workspace: Path, start: str | None) -> int | None:
    """Commits on HEAD since the boilerplate's commit; None when the workspace is no repo."""
    if not (workspace / ".git").exists() or shutil.which("git") is None:
        return None
    span = f"{start}..HEAD" if start else "HEAD"
    done = subprocess.run(["git", "-C", str(workspace), "rev-list", "--count", span],
                          capture_output=True, text=True, timeout=60, check=False)
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip().isdigit() else None


def benchmark_info(config: BenchmarkConfig) -> BenchmarkInfo:
    return BenchmarkInfo(name=config.name, version=config.version,
                         description=config.description, source=str(config.source_path),
                         tags=list(config.tags))


def record_invalid_benchmark(path: Path, error: SpecError, sandbox_manager: SandboxManager,
                             name: str) -> BenchmarkResult:
    """A benchmark file that failed validation still leaves a FAILED (config) result."""
    sandbox = sandbox_manager.create(name)
    history = StatusHistory()
    history.transition(BenchmarkStatus.FAILED)
    now = utcnow()
    result = BenchmarkResult(
        run_id=sandbox.run_id, benchmark=BenchmarkInfo(name=name, source=str(path)),
        status=BenchmarkStatus.FAILED, failure_kind=FailureKind.CONFIG, reason=str(error),
        start_time=now, end_time=now, duration_seconds=0.0,
        errors=[ErrorRecord(stage="validate", kind=FailureKind.CONFIG, type="SpecError",
                            message=str(issue)) for issue in error.issues],
        status_history=list(history.changes))
    write_status(sandbox.run_dir / "status.json", sandbox.run_id, history.changes)
    result.write(sandbox.run_dir / "result.json")
    return result

