"""BenchmarkRunner: the lifecycle of one run, and nothing else.

validate -> sandbox -> boilerplate -> phases in order -> metrics -> grading, and in
every case: end time, partial metrics, result.json, status history, listeners, and
cleanup of what the runner created. Every exception is caught, logged and recorded
with the stage it happened in; Ctrl-C and pytest's own control flow are recorded
as ``interrupted`` and then re-raised, never swallowed.

The runner holds only its configuration; everything about one run lives in a
``RunState`` made by ``run()``, so a runner may run more than once.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Sequence

from ..agents.base import Agent, PhaseContext, PhaseTimeout
from ..environment import EnvironmentSetupError, prepare_environment
from ..grading.criteria import grade, runs_own_tests, runs_pytest
from ..grading.custom_metrics import measure_custom_metrics
from ..grading.errors import GradingSetupError
from ..logs.log import RunLog
from ..logs.redaction import Redactor
from ..model.result import (
    BenchmarkResult,
    PhaseResult,
    PhaseStatus,
    worth_inspecting,
    write_status,
)
from ..model.spec import BenchmarkConfig, WorkflowPhase
from ..model.status import BenchmarkStatus, FailureKind, StatusHistory, utcnow
from ..sandbox.boilerplate import BoilerplateError, BoilerplateManager
from ..sandbox.sandbox import Sandbox, SandboxError, SandboxManager
from .checkpoint import CheckpointTooLarge, restore_checkpoint, save_checkpoint
from .collector import MetricsCollector
from .outcome import Outcome, described, interruption_outcome, phase_outcome
from .ownership import RunLock
from .progress import ALIVE_SECONDS, AliveThrottle, Progress, ProgressListener, usage_fields
from .records import (
    ResultListener,
    benchmark_info,
    close_record,
    fill_metrics,
    make_safe_to_keep,
    model_of,
    not_started,
    record_invalid_benchmark,
    redacted,
    tell_listeners,
)
from .resume import ResumePoint, RunKey, index_checkpointed_run
from .setup_commands import run_setup_commands
from .start_count import StartCount, count_now, start_counting
from .state import RunState

__all__ = ["BenchmarkRunner", "ResultListener", "model_of", "record_invalid_benchmark"]

InterruptionPolicy = Callable[[BaseException], Outcome]


class BenchmarkRunner:
    def __init__(self, config: BenchmarkConfig, sandbox_manager: SandboxManager,
                 boilerplate_manager: BoilerplateManager, metrics_collector: MetricsCollector,
                 agent: Agent, *, sandbox: Sandbox | None = None,
                 redactor: Redactor | None = None,
                 listeners: Sequence[ResultListener] = (),
                 resume: ResumePoint | None = None, attempt: int | None = None,
                 batch: str | None = None, node_id: str | None = None,
                 session: str | None = None,
                 interruption: InterruptionPolicy = interruption_outcome,
                 progress: ProgressListener | None = None,
                 alive_seconds: float = ALIVE_SECONDS) -> None:
        """``sandbox``: a run directory made by the caller, who then also cleans it up.
        ``resume``: start from an earlier run's checkpoint instead of the boilerplate.
        ``attempt``, ``batch``, ``node_id``, ``session``: recorded in the result's metadata.
        ``interruption``: the outcome of a run stopped by a BaseException (the plugin
        tells its pytest-timeout backstop apart this way). ``progress``: told when a phase
        starts and ends, and that the agent is alive (the plugin's live progress), at most
        every ``alive_seconds`` for the latter."""
        self.config = config
        self.sandbox_manager = sandbox_manager
        self.boilerplate_manager = boilerplate_manager
        self.metrics = metrics_collector
        self.agent = agent
        self._given_sandbox = sandbox
        self.redactor = redactor or Redactor()
        self.listeners = list(listeners)
        self.resume = resume
        self.attempt, self.batch, self.node_id, self.session = attempt, batch, node_id, session
        self.interruption = interruption
        self.progress = progress
        self.alive_seconds = alive_seconds

    def run(self) -> BenchmarkResult:
        sandbox = self._given_sandbox or self.sandbox_manager.create(self.config.name)
        try:
            state = self._start(sandbox)
        except Exception as exc:  # its status file, lock or logs could not be made
            result = not_started(self._new_result(sandbox), exc, self.redactor,
                                         sandbox.run_dir)
            if self._given_sandbox is None:
                self.sandbox_manager.cleanup(sandbox, failed=False)  # nothing in it yet
            tell_listeners(self.listeners, self.redactor, result)
            return result
        outcome: Outcome | None = None
        try:
            outcome = self._set_up(state) or self._run_phases(state) or self._grade(state)
        except Exception as exc:  # a harness or driver bug: recorded, never the agent's
            outcome = state.record(self.redactor, exc)
        except BaseException as exc:  # Ctrl-C, SIGTERM, pytest's Exit: record, then re-raise
            outcome = self.interruption(exc)
            state.record(self.redactor, exc, outcome.kind or FailureKind.AGENT)
            raise
        finally:
            self._finish(state, outcome)
        return state.result

    # -- stages: each returns the run's outcome when it ends the run, else None -----------

    def _new_result(self, sandbox: Sandbox) -> BenchmarkResult:
        result = BenchmarkResult(
            run_id=sandbox.run_id, benchmark=benchmark_info(self.config),
            agent=self.agent.name,
            model=model_of(self.agent, self.config),
            config=self.redactor.value(self.config.model_dump(mode="json")))
        result.metadata.attempt = self.attempt
        result.metadata.batch = self.batch
        result.metadata.node_id = self.node_id
        result.metadata.session = self.session
        return result

    def _start(self, sandbox: Sandbox) -> RunState:
        result = self._new_result(sandbox)
        status_file = sandbox.run_dir / "status.json"
        history = StatusHistory(
            on_change=lambda h: write_status(status_file, sandbox.run_id, h.changes))
        write_status(status_file, sandbox.run_id, history.changes)
        lock = RunLock(sandbox.run_dir)
        lock.acquire()
        try:
            log = RunLog(sandbox.run_dir, self.redactor, run_id=sandbox.run_id,
                         benchmark=self.config.name)
        except BaseException:
            lock.release()
            raise
        self.metrics.clear()
        started = time.monotonic()
        state = RunState(sandbox=sandbox, result=result, log=log, history=history,
                          started=started, deadline=started + self.config.timeout_seconds,
                          metrics=self.metrics, lock=lock)
        result.start_time = utcnow()
        history.transition(BenchmarkStatus.RUNNING)
        log.events.info("run_started", agent=self.agent.name, workspace=str(sandbox.workspace))
        return state

    def _set_up(self, state: RunState) -> Outcome | None:
        sandbox, result = state.sandbox, state.result
        preflight = getattr(self.agent, "preflight", None)
        if preflight is not None:  # optional: a CLI agent checks its program is there
            try:
                preflight(self.config, sandbox)
            except Exception as exc:
                return state.record(self.redactor, exc)
        state.stage = "sandbox"
        result.metadata.isolation = sandbox.isolation.name
        sandbox.network = self.config.allow_network
        try:
            self.sandbox_manager.init_workspace(sandbox)
        except SandboxError as exc:
            return state.record(self.redactor, exc)
        state.stage = "boilerplate"
        if self.resume is not None:
            if self._restore(state, self.resume):
                return None
            self.resume = None  # another run claimed it first: this one starts afresh
            shutil.rmtree(sandbox.workspace)
            self.sandbox_manager.init_workspace(sandbox)
        try:
            info = self.boilerplate_manager.prepare(self.config, sandbox.workspace)
        except BoilerplateError as exc:
            return state.record(self.redactor, exc)
        state.log.events.info("boilerplate_ready", kind=info.kind, source=info.source,
                              commit=info.commit)
        result.metadata.boilerplate = info
        if self.config.environment is not None:
            state.stage = "environment"
            try:
                prepare_environment(self.config, sandbox, state.log, runs_pytest(self.config))
            except EnvironmentSetupError as exc:
                return state.record(self.redactor, exc)
        if self.config.setup:
            state.stage = "setup"
            failed = run_setup_commands(self.config, sandbox, state.log)
            if failed is not None:
                return state.record(self.redactor, failed)
        if self.config.environment is not None or self.config.setup:
            # Set-up's time is not the agent's: the run's deadline starts again after it.
            state.deadline = time.monotonic() + self.config.timeout_seconds
        counted = start_counting(self.config, sandbox, info.kind)
        if isinstance(counted, StartCount):
            state.start_count = counted
        else:
            result.metadata.tests_at_start = counted
        return None

    def _restore(self, state: RunState, resume: ResumePoint) -> bool:
        """Start from ``resume``'s checkpoint; the earlier run is claimed only once it is
        restored (a preflight failure or Ctrl-C before leaves it resumable). False when
        another run claimed it first."""
        restore_checkpoint(resume.archive, state.sandbox.workspace)
        if not resume.claim(by=state.sandbox.run_id):
            return False
        resume.carry_into(state.result.metadata)
        state.log.events.info("resumed", from_run=resume.previous.run_id,
                              after_phase=resume.checkpoint.phase)
        self._index_resumable(state)  # resumable again from the same checkpoint
        return True

    def _run_phases(self, state: RunState) -> Outcome | None:
        phases = self.config.workflow_phases
        done_before = self.resume.completed_phases if self.resume else 0
        for index, phase in enumerate(phases):
            if index < done_before:  # finished by the run being resumed: carried over
                assert self.resume is not None
                earlier = self.resume.earlier_phase(phase.phase_name, phase.agent)
                state.result.phases.append(earlier)
                state.metrics.phases[phase.phase_name] = earlier.usage.model_copy()
                continue
            self._snapshot(state)
            outcome = self._run_phase(state, index, phase)
            if outcome is not None and not state.goes_on_after(phase, outcome):
                return outcome
            if outcome is not None or index < len(phases) - 1:
                stopped = self._checkpoint(state, index, phase)
                if stopped is not None:
                    return stopped
        return None

    def _run_phase(self, state: RunState, index: int, phase: WorkflowPhase) -> Outcome | None:
        name, result = phase.phase_name, state.result
        phase_started = time.monotonic()
        deadline = min(phase_started + self.config.phase_timeout(phase), state.deadline)
        record = PhaseResult(name=name, role=phase.agent, status=PhaseStatus.COMPLETED,
                             start_time=utcnow())
        result.phases.append(record)
        ctx = PhaseContext(config=self.config, phase=phase, phase_index=index,
                           sandbox=state.sandbox, usage=state.metrics.phase(name),
                           run_usage=state.metrics.total(), log=state.log, deadline=deadline,
                           warnings=result.warnings)
        throttle = AliveThrottle(self.alive_seconds)

        def alive(tool: str | None) -> None:
            if throttle.due():
                self._tell(state, Progress("alive", result.run_id, self.config.name, name,
                                           seconds=time.monotonic() - phase_started,
                                           last_tool=tool, **usage_fields(ctx.usage)))

        ctx.on_alive = alive
        self._tell(state, Progress("phase_started", result.run_id, self.config.name, name,
                                   role=phase.agent))
        state.stage = f"phase:{name}"
        outcome: Outcome | None = None
        try:
            self.agent.run_phase(ctx)
            if time.monotonic() > deadline:
                raise PhaseTimeout(f"phase {name!r} finished after its deadline")
        except PhaseTimeout as exc:
            limit = deadline - phase_started
            record.status, record.error = PhaseStatus.TIMEOUT, f"timed out after {limit:.2f}s"
            state.record(self.redactor, exc)
            outcome = Outcome.timeout(f"phase {name!r} timed out after {limit:.2f}s")
        except Exception as exc:
            record.status, record.error = PhaseStatus.FAILED, described(exc)
            outcome = phase_outcome(exc, name, self.redactor.text(record.error),
                                    self.agent.name)
            state.record(self.redactor, exc)
        except BaseException:
            record.status, record.error = PhaseStatus.FAILED, "interrupted"
            raise
        finally:
            record.end_time = utcnow()
            record.duration_seconds = time.monotonic() - phase_started
            record.usage = state.metrics.phase(name).model_copy()
            self._tell(state, Progress("phase_finished", result.run_id, self.config.name, name,
                                       role=phase.agent, status=record.status.value,
                                       seconds=round(record.duration_seconds, 3),
                                       **usage_fields(record.usage)))
        return outcome or state.check_artifacts(phase, record)

    def _tell(self, state: RunState, progress: Progress) -> None:
        """events.jsonl (which an xdist controller reads) and the progress listener."""
        state.log.events.info(progress.event, **progress.fields())
        if self.progress is not None:
            self.progress(progress)

    def _grade(self, state: RunState) -> Outcome:
        self._snapshot(state)
        state.stage = "grading"
        state.log.events.info("grading_started")
        sandbox, result, metrics = state.sandbox, state.result, state.metrics
        sandbox.network = False  # allow_network is for the agent's phases: grading never has it
        grading_dir = sandbox.run_dir / f"grading-{secrets.token_hex(6)}"
        result.metadata.grading_dir = grading_dir.name
        try:
            grading = grade(self.config, sandbox, grading_dir, self.boilerplate_manager,
                            errors=len(result.errors),
                            manual_interventions=metrics.total().manual_interventions or 0)
        except GradingSetupError as exc:
            return state.record(self.redactor, exc)
        result.criteria = grading.criteria
        if not grading.criteria:
            result.warnings.append("the benchmark has no success criteria: it passes "
                                   "whatever the agent does")
        metrics.quality = grading.quality
        criteria = self.config.success_criteria
        own_run = runs_own_tests(self.config) and not criteria.test_command
        now = grading.quality.tests_total if own_run else count_now(self.config, sandbox, "end")
        state.take_start_count(wait=True)
        start = result.metadata.tests_at_start
        metrics.quality.tests_written = max(now - start, 0) \
            if now is not None and start is not None else None
        custom, problems = measure_custom_metrics(self.config, sandbox)
        metrics.custom.update(custom)
        result.warnings.extend(problems)
        for criterion in grading.criteria:
            state.log.events.info("criterion", name=criterion.name, passed=criterion.passed,
                                  detail=criterion.detail)
        if grading.passed:
            return Outcome.completed()
        failed = "; ".join(f"{c.name} ({c.detail})" for c in grading.failures())
        return Outcome.failed(FailureKind.CRITERIA, f"success criteria not met: {failed}")

    # -- bookkeeping ------------------------------------------------------------------------

    def _checkpoint(self, state: RunState, index: int, phase: WorkflowPhase
                    ) -> Outcome | None:
        """Archive the workspace after a phase; a workspace over the cap ends the run as
        the agent's failure."""
        state.take_start_count(wait=True)  # a resumed run takes it from this result
        checkpoints = state.result.metadata.checkpoints
        try:
            checkpoints.append(save_checkpoint(
                state.sandbox.run_dir, state.sandbox.workspace, index, phase.phase_name))
        except CheckpointTooLarge as exc:
            return state.record(self.redactor, exc)
        if len(checkpoints) == 1:  # from now on the run can be resumed
            self._index_resumable(state)
        return None

    def _index_resumable(self, state: RunState) -> None:
        index_checkpointed_run(self.sandbox_manager.runs_dir, state.sandbox.run_id,
                               RunKey.of(state.result))

    def _snapshot(self, state: RunState) -> None:
        """result.json as the run stands (status running), rewritten before each phase and
        before grading: even a killed harness leaves the phases it finished on disk."""
        state.take_start_count(wait=False)
        partial = state.result.model_copy(deep=True)
        partial.status = BenchmarkStatus.RUNNING
        fill_metrics(self.config, state.sandbox, state.metrics, partial)
        redacted(self.redactor, partial).write(state.sandbox.run_dir / "result.json")

    def _finish(self, state: RunState, outcome: Outcome | None) -> None:
        if outcome is None:  # only when an exception escaped before any outcome was known
            outcome = Outcome.failed(FailureKind.INTERRUPTED, "interrupted")
        if state.start_count is not None:  # the run ended before its count was needed
            state.start_count.cancel()
            state.start_count = None
        sandbox, result = state.sandbox, state.result
        close_record(result, outcome, self.config, state.metrics)
        result.duration_seconds = time.monotonic() - state.started
        fill_metrics(self.config, sandbox, state.metrics, result)
        failed = worth_inspecting(outcome.status, outcome.kind)
        if self._given_sandbox is None:
            kept = self.sandbox_manager.cleanup(sandbox, failed=failed)
        else:  # the caller (the gaobench_sandbox fixture) cleans up what it made
            kept = self.sandbox_manager.would_keep(sandbox, failed=failed)
        result.workspace = str(kept) if kept else None
        if kept is not None:
            make_safe_to_keep(self.sandbox_manager, result, kept)
        state.history.transition(outcome.status)
        result.status = state.history.current
        result.status_history = list(state.history.changes)
        try:
            result = state.result = redacted(self.redactor, result)
            result.write(sandbox.run_dir / "result.json")
            state.log.events.info("run_finished", status=result.status.value,
                                  failure_kind=result.failure_kind, reason=result.reason,
                                  seconds=round(result.duration_seconds or 0.0, 3))
        finally:  # a run that could not be written is still not a live run
            state.log.close()
            state.lock.release()
        tell_listeners(self.listeners, self.redactor, result)
