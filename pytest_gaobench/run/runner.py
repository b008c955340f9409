"""BenchmarkRunner: the lifecycle of one run, and nothing else.

validate -> sandbox -> boilerplate -> phases in order -> metrics -> grading, and in
every case: end time, partial metrics, result.json, status history, listeners, and
cleanup of what the runner created. Every exception is caught, logged and recorded
with the stage it happened in; Ctrl-C and pytest's own control flow are recorded
as ``interrupted`` and then re-raised, never swallowed.

The runner holds only its configuration; everything about one run lives in a
``_RunState`` made by ``run()``, so a runner may run more than once.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..agents.base import (
    Agent,
    AgentError,
    BudgetExceeded,
    InfraError,
    PhaseContext,
    PhaseTimeout,
    SetupError,
)
from ..grading.criteria import grade, runs_own_tests
from ..grading.custom_metrics import measure_custom_metrics
from ..grading.test_run import COLLECT_SECONDS, collected_tests
from ..grading.workspace import count_new_commits, count_test_functions, matching_files
from ..logs.log import RunLog
from ..logs.redaction import Redactor
from ..model.result import (
    BenchmarkInfo,
    BenchmarkResult,
    ErrorRecord,
    PhaseResult,
    PhaseStatus,
    worth_inspecting,
    write_status,
)
from ..model.spec import BenchmarkConfig, SpecError, WorkflowPhase
from ..model.status import BenchmarkStatus, FailureKind, StatusHistory, utcnow
from ..sandbox.boilerplate import BoilerplateError, BoilerplateManager
from ..sandbox.sandbox import Sandbox, SandboxError, SandboxManager
from .checkpoint import CheckpointTooLarge, restore_checkpoint, save_checkpoint
from .collector import MetricsCollector
from .outcome import Outcome, interruption_outcome
from .ownership import RunLock
from .progress import ALIVE_SECONDS, AliveThrottle, Progress, ProgressListener, usage_fields
from .resume import ResumePoint, RunKey, index_checkpointed_run
from .start_count import StartCount

ResultListener = Callable[[BenchmarkResult], None]


class SetupCommandFailed(RuntimeError):
    """A benchmark's setup command failed: the workspace is not what the task needs."""


class ResultListenerWarning(UserWarning):
    """A result listener (a plugin's pytest_gaobench_result_ready, say) raised."""

InterruptionPolicy = Callable[[BaseException], Outcome]


@dataclass
class _RunState:
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


class BenchmarkRunner:
    def __init__(self, config: BenchmarkConfig, sandbox_manager: SandboxManager,
                 boilerplate_manager: BoilerplateManager, metrics_collector: MetricsCollector,
                 agent: Agent, *, sandbox: Sandbox | None = None,
                 redactor: Redactor | None = None,
                 listeners: Sequence[ResultListener] = (),
                 resume: ResumePoint | None = None, attempt: int | None = None,
                 batch: str | None = None, node_id: str | None = None,
                 interruption: InterruptionPolicy = interruption_outcome,
                 progress: ProgressListener | None = None,
                 alive_seconds: float = ALIVE_SECONDS) -> None:
        """``sandbox``: a run directory made by the caller, who then also cleans it up.
        ``resume``: start from an earlier run's checkpoint instead of the boilerplate.
        ``attempt``, ``batch``, ``node_id``: recorded in the result's metadata.
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
        self.attempt = attempt
        self.batch = batch
        self.node_id = node_id
        self.interruption = interruption
        self.progress = progress
        self.alive_seconds = alive_seconds

    def run(self) -> BenchmarkResult:
        sandbox = self._given_sandbox or self.sandbox_manager.create(self.config.name)
        try:
            state = self._start(sandbox)
        except Exception as exc:  # its status file, lock or logs could not be made
            return self._not_started(sandbox, exc)
        outcome: Outcome | None = None
        try:
            outcome = self._set_up(state) or self._run_phases(state) or self._grade(state)
        except Exception as exc:  # a harness or driver bug: recorded, never the agent's
            outcome = self._record(state, FailureKind.INFRA, exc)
        except BaseException as exc:  # Ctrl-C, SIGTERM, pytest's Exit: record, then re-raise
            outcome = self.interruption(exc)
            self._record(state, outcome.kind or FailureKind.AGENT, exc)
            raise
        finally:
            self._finish(state, outcome)
        return state.result

    # -- stages: each returns the run's outcome when it ends the run, else None -----------

    def _new_result(self, sandbox: Sandbox) -> BenchmarkResult:
        result = BenchmarkResult(
            run_id=sandbox.run_id, benchmark=benchmark_info(self.config), agent=self.agent.name,
            model=model_of(self.agent, self.config),
            config=self.redactor.value(self.config.model_dump(mode="json")))
        result.metadata.attempt = self.attempt
        result.metadata.batch = self.batch
        result.metadata.node_id = self.node_id
        return result

    def _start(self, sandbox: Sandbox) -> _RunState:
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
        state = _RunState(sandbox=sandbox, result=result, log=log, history=history,
                          started=started, deadline=started + self.config.timeout_seconds,
                          metrics=self.metrics, lock=lock)
        result.start_time = utcnow()
        history.transition(BenchmarkStatus.RUNNING)
        log.events.info("run_started", agent=self.agent.name, workspace=str(sandbox.workspace))
        return state

    def _set_up(self, state: _RunState) -> Outcome | None:
        sandbox, result = state.sandbox, state.result
        preflight = getattr(self.agent, "preflight", None)
        if preflight is not None:  # optional: a CLI agent checks its program is there
            try:
                preflight(self.config, sandbox)
            except SetupError as exc:
                return self._record(state, FailureKind.CONFIG, exc)
        state.stage = "sandbox"
        result.metadata.isolation = sandbox.isolation.name
        sandbox.network = self.config.allow_network
        try:
            self.sandbox_manager.init_workspace(sandbox)
        except SandboxError as exc:
            return self._record(state, FailureKind.INFRA, exc)
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
            return self._record(state, FailureKind.INFRA, exc)
        state.log.events.info("boilerplate_ready", kind=info.kind, source=info.source,
                              commit=info.commit)
        result.metadata.boilerplate = info
        failed = self._run_setup(state)
        if failed is not None:
            return failed
        self._count_tests_at_start(state, info.kind)
        return None

    def _count_tests_at_start(self, state: _RunState, kind: str) -> None:
        """What the workspace holds now: nothing to collect without a test file; from a
        local boilerplate nothing changed (no setup ran), counted beside the agent's first
        phase; else counted here, before it."""
        sandbox, source = state.sandbox, self.config.boilerplate_dir
        collect = functools.partial(collected_tests, sandbox,
                                    sandbox.run_dir / "collect" / "start", COLLECT_SECONDS,
                                    self.config.success_criteria.python_path)
        if count_test_functions(sandbox.workspace) == 0:
            state.result.metadata.tests_at_start = 0
        elif kind == "local" and not self.config.setup and source is not None:
            tree = source.resolve()
            state.start_count = StartCount(lambda cancel: collect(tree=tree, cancel=cancel))
        else:
            state.result.metadata.tests_at_start = collect()

    def _tests_at_start(self, state: _RunState, *, wait: bool) -> None:
        """Put the start's count in the metadata once it is known (``wait``: wait for it)."""
        pending = state.start_count
        if pending is not None and (wait or pending.done):
            state.result.metadata.tests_at_start = pending.count()
            state.start_count = None

    def _run_setup(self, state: _RunState) -> Outcome | None:
        """The benchmark's ``setup`` commands, in the sandbox before the agent starts, each
        with the network only when it says so. Their time is not the agent's: the run's
        deadline starts again after them."""
        if not self.config.setup:
            return None
        state.stage = "setup"
        logs = state.sandbox.run_dir / "setup"
        logs.mkdir(exist_ok=True)
        for command in self.config.setup:
            done = state.sandbox.run(["/bin/sh", "-c", command.run],
                                     timeout=command.timeout_seconds, network=command.network,
                                     display=command.run,
                                     stdout_path=logs / f"{command.name}.log")
            state.log.events.info("setup_command", name=command.name,
                                  exit_code=done.exit_code, timed_out=done.timed_out,
                                  seconds=round(done.duration_seconds, 3))
            if not done.ok:
                why = (f"timed out after {command.timeout_seconds:g}s" if done.timed_out
                       else f"exited with {done.exit_code}")
                tail = done.tail(5)
                return self._record(state, FailureKind.INFRA, SetupCommandFailed(
                    f"setup command {command.name!r} {why}" + (f": {tail}" if tail else "")))
        state.deadline = time.monotonic() + self.config.timeout_seconds
        return None

    def _collected_tests(self, sandbox: Sandbox, when: str) -> int | None:
        """Tests pytest collects from the workspace now (none without a test file, so a
        project that is not Python's costs no pytest run)."""
        if count_test_functions(sandbox.workspace) == 0:
            return 0
        return collected_tests(sandbox, sandbox.run_dir / "collect" / when, COLLECT_SECONDS,
                               self.config.success_criteria.python_path)

    def _restore(self, state: _RunState, resume: ResumePoint) -> bool:
        """Start from ``resume``'s checkpoint; the earlier run is claimed only once it is
        restored (a preflight failure or Ctrl-C before leaves it resumable). False when
        another run claimed it first."""
        restore_checkpoint(resume.archive, state.sandbox.workspace)
        if not resume.claim(by=state.sandbox.run_id):
            return False
        previous = resume.previous.metadata
        metadata = state.result.metadata
        metadata.resumed_from = resume.previous.run_id
        metadata.boilerplate = previous.boilerplate
        metadata.tests_at_start = previous.tests_at_start or 0
        metadata.checkpoints = [resume.checkpoint.model_copy(
            update={"archive": str(resume.archive)})]
        state.log.events.info("resumed", from_run=resume.previous.run_id,
                              after_phase=resume.checkpoint.phase)
        self._index_resumable(state)  # resumable again from the same checkpoint
        return True

    def _run_phases(self, state: _RunState) -> Outcome | None:
        phases = self.config.workflow_phases
        done_before = self.resume.completed_phases if self.resume else 0
        for index, phase in enumerate(phases):
            if index < done_before:
                self._carry_over(state, phase)
                continue
            self._snapshot(state)
            outcome = self._run_phase(state, index, phase)
            if outcome is not None and not self._goes_on_after(state, phase, outcome):
                return outcome
            if outcome is not None or index < len(phases) - 1:
                stopped = self._checkpoint(state, index, phase)
                if stopped is not None:
                    return stopped
        return None

    def _goes_on_after(self, state: _RunState, phase: WorkflowPhase, outcome: Outcome) -> bool:
        """Whether ``continue_on_failure`` lets the run go on past this phase's outcome."""
        if not (phase.continue_on_failure and outcome.overridable):
            return False
        name = phase.phase_name
        if outcome.status is BenchmarkStatus.FAILED and outcome.kind is FailureKind.AGENT:
            state.result.warnings.append(f"phase {name!r} failed and the run went on "
                                         f"(continue_on_failure): {outcome.reason}")
            return True
        if outcome.status is BenchmarkStatus.TIMEOUT and time.monotonic() < state.deadline:
            state.result.warnings.append(f"phase {name!r} timed out and the run went on "
                                         f"(continue_on_failure)")
            return True
        return False

    def _run_phase(self, state: _RunState, index: int, phase: WorkflowPhase) -> Outcome | None:
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
            self._record(state, FailureKind.AGENT, exc)
            outcome = Outcome.timeout(f"phase {name!r} timed out after {limit:.2f}s")
        except Exception as exc:
            record.status = PhaseStatus.FAILED
            record.error = (str(exc) if isinstance(exc, AgentError | InfraError | SetupError
                                                   | SandboxError)
                            else f"{type(exc).__name__}: {exc}")
            outcome = _phase_failure(exc, name, self.redactor.text(record.error),
                                     self.agent.name)
            self._record(state, outcome.kind or FailureKind.AGENT, exc)
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
        return outcome or self._check_artifacts(state, phase, record)

    def _tell(self, state: _RunState, progress: Progress) -> None:
        """events.jsonl (which an xdist controller reads) and the progress listener."""
        state.log.events.info(progress.event, **progress.fields())
        if self.progress is not None:
            self.progress(progress)

    def _check_artifacts(self, state: _RunState, phase: WorkflowPhase,
                         record: PhaseResult) -> Outcome | None:
        missing = [p for p in phase.expected_artifacts
                   if not matching_files(state.sandbox.workspace, p)]
        if not missing:
            return None
        record.status, record.missing_artifacts = PhaseStatus.FAILED, missing
        record.error = f"expected artifacts missing: {', '.join(missing)}"
        state.result.errors.append(ErrorRecord(stage=state.stage, kind=FailureKind.AGENT,
                                               type="MissingArtifacts", message=record.error))
        state.log.events.warning("artifacts_missing", phase=phase.phase_name, missing=missing)
        return Outcome.failed(FailureKind.AGENT, f"phase {phase.phase_name!r}: {record.error}")

    def _grade(self, state: _RunState) -> Outcome:
        self._snapshot(state)
        state.stage = "grading"
        state.log.events.info("grading_started")
        sandbox, result, metrics = state.sandbox, state.result, state.metrics
        sandbox.network = False  # allow_network is for the agent's phases: grading never has it
        grading_dir = sandbox.run_dir / f"grading-{secrets.token_hex(6)}"
        result.metadata.grading_dir = grading_dir.name
        grading = grade(self.config, sandbox, grading_dir, self.boilerplate_manager,
                        errors=len(result.errors),
                        manual_interventions=metrics.total().manual_interventions or 0)
        result.criteria = grading.criteria
        if not grading.criteria:
            result.warnings.append("the benchmark has no success criteria: it passes "
                                   "whatever the agent does")
        metrics.quality = grading.quality
        criteria = self.config.success_criteria
        own_run = runs_own_tests(self.config) and not criteria.test_command
        now = grading.quality.tests_total if own_run else \
            self._collected_tests(sandbox, "end")
        self._tests_at_start(state, wait=True)
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

    def _carry_over(self, state: _RunState, phase: WorkflowPhase) -> None:
        """A phase finished by the run being resumed: its result and its spend count here."""
        assert self.resume is not None
        earlier = next((p for p in self.resume.previous.phases if p.name == phase.phase_name),
                       None)
        if earlier is None:
            earlier = PhaseResult(name=phase.phase_name, role=phase.agent,
                                  status=PhaseStatus.COMPLETED)
        state.result.phases.append(earlier.model_copy(deep=True))
        state.metrics.phases[phase.phase_name] = earlier.usage.model_copy()

    def _checkpoint(self, state: _RunState, index: int, phase: WorkflowPhase
                    ) -> Outcome | None:
        """Archive the workspace after a phase; a workspace over the cap ends the run as
        the agent's failure."""
        self._tests_at_start(state, wait=True)  # a resumed run takes it from this result
        checkpoints = state.result.metadata.checkpoints
        try:
            checkpoints.append(save_checkpoint(
                state.sandbox.run_dir, state.sandbox.workspace, index, phase.phase_name))
        except CheckpointTooLarge as exc:
            return self._record(state, FailureKind.AGENT, exc)
        if len(checkpoints) == 1:  # from now on the run can be resumed
            self._index_resumable(state)
        return None

    def _index_resumable(self, state: _RunState) -> None:
        index_checkpointed_run(self.sandbox_manager.runs_dir, state.sandbox.run_id,
                               RunKey.of(state.result))

    def _snapshot(self, state: _RunState) -> None:
        """result.json as the run stands (status running), rewritten before each phase and
        before grading: even a killed harness leaves the phases it finished on disk."""
        self._tests_at_start(state, wait=False)
        partial = state.result.model_copy(deep=True)
        partial.status = BenchmarkStatus.RUNNING
        self._fill_metrics(state, partial)
        self._redacted(partial).write(state.sandbox.run_dir / "result.json")

    def _redacted(self, result: BenchmarkResult) -> BenchmarkResult:
        """The result with every secret taken out of every field (phase errors, criteria
        details, warnings, metadata...): what is written and what listeners see."""
        return BenchmarkResult.model_validate(self.redactor.value(result.model_dump(mode="json")))

    def _finish(self, state: _RunState, outcome: Outcome | None) -> None:
        if outcome is None:  # only when an exception escaped before any outcome was known
            outcome = Outcome.failed(FailureKind.INTERRUPTED, "interrupted")
        if state.start_count is not None:  # the run ended before its count was needed
            state.start_count.cancel()
            state.start_count = None
        sandbox, result = state.sandbox, state.result
        result.end_time = utcnow()
        result.duration_seconds = time.monotonic() - state.started
        result.reason = outcome.reason or None
        result.failure_kind = outcome.kind
        reached = {p.name for p in result.phases}
        result.phases += [PhaseResult(name=p.phase_name, role=p.agent, status=PhaseStatus.SKIPPED)
                          for p in self.config.workflow_phases if p.phase_name not in reached]
        result.metrics.workflow.one_shot_success = (
            outcome.status is BenchmarkStatus.COMPLETED
            and all(p.status is PhaseStatus.COMPLETED for p in result.phases)
            and not state.metrics.total().manual_interventions)
        self._fill_metrics(state, result)
        failed = worth_inspecting(outcome.status, outcome.kind)
        if self._given_sandbox is None:
            kept = self.sandbox_manager.cleanup(sandbox, failed=failed)
        else:  # the caller (the gaobench_sandbox fixture) cleans up what it made
            kept = self.sandbox_manager.would_keep(sandbox, failed=failed)
        result.workspace = str(kept) if kept else None
        if kept is not None:
            self._make_safe_to_keep(result, kept)
        state.history.transition(outcome.status)
        result.status = state.history.current
        result.status_history = list(state.history.changes)
        try:
            result = state.result = self._redacted(result)
            result.write(sandbox.run_dir / "result.json")
            state.log.events.info("run_finished", status=result.status.value,
                                  failure_kind=result.failure_kind, reason=result.reason,
                                  seconds=round(result.duration_seconds or 0.0, 3))
        finally:  # a run that could not be written is still not a live run
            state.log.close()
            state.lock.release()
        self._tell_listeners(result)

    def _make_safe_to_keep(self, result: BenchmarkResult, kept: Path) -> None:
        try:
            cleared = self.sandbox_manager.made_safe_to_keep(kept)
        except OSError as exc:
            result.warnings.append(f"the kept workspace could not be made private: {exc}")
            return
        if cleared:
            shown = ", ".join(cleared[:5]) + (f" and {len(cleared) - 5} more"
                                              if len(cleared) > 5 else "")
            result.warnings.append(f"the kept workspace held setuid/setgid files; their set-id "
                                   f"bits were cleared: {shown}")

    def _not_started(self, sandbox: Sandbox, exc: Exception) -> BenchmarkResult:
        """A run whose bookkeeping could not be set up still ends with a result (FAILED,
        infra), written where it can be, and heard by the listeners."""
        result = self._new_result(sandbox)
        now = utcnow()
        history = StatusHistory()
        history.transition(BenchmarkStatus.FAILED)
        result.status, result.failure_kind = BenchmarkStatus.FAILED, FailureKind.INFRA
        result.status_history = list(history.changes)
        result.start_time = result.end_time = now
        result.duration_seconds = 0.0
        result.reason = self.redactor.text(f"the run could not start: {type(exc).__name__}: "
                                           f"{exc}")
        result.errors.append(ErrorRecord(stage="start", kind=FailureKind.INFRA,
                                         type=type(exc).__name__,
                                         message=self.redactor.text(str(exc))))
        result = self._redacted(result)
        with contextlib.suppress(OSError):
            result.write(sandbox.run_dir / "result.json")
        if self._given_sandbox is None:
            self.sandbox_manager.cleanup(sandbox, failed=False)  # nothing in it yet
        self._tell_listeners(result)
        return result

    def _tell_listeners(self, result: BenchmarkResult) -> None:
        """A listener that raises costs a warning: the result is on disk already, and an
        interruption in flight must stay an interruption."""
        for listener in self.listeners:
            try:
                listener(result)
            except Exception as exc:
                message = self.redactor.text(f"{type(exc).__name__}: {exc}")
                warnings.warn(ResultListenerWarning(
                    f"a listener of run {result.run_id} failed: {message}"), stacklevel=2)

    def _fill_metrics(self, state: _RunState, result: BenchmarkResult) -> None:
        metrics, collected = result.metrics, state.metrics
        metrics.duration_seconds = result.duration_seconds
        metrics.phase_seconds = {p.name: p.duration_seconds for p in result.phases
                                 if p.duration_seconds is not None}
        metrics.usage = collected.total()
        metrics.quality = collected.quality
        metrics.custom = dict(collected.custom)
        metrics.workflow.phases_completed = sum(p.status is PhaseStatus.COMPLETED
                                                for p in result.phases)
        metrics.workflow.phases_failed = sum(p.status in (PhaseStatus.FAILED, PhaseStatus.TIMEOUT)
                                             for p in result.phases)
        workspace = state.sandbox.workspace
        patterns = [p for phase in self.config.workflow_phases for p in phase.expected_artifacts]
        if patterns and workspace.exists():
            found = {f for p in patterns for f in matching_files(workspace, p)}
            metrics.workflow.artifacts_produced = len(found)
        boilerplate = result.metadata.boilerplate
        metrics.workflow.commits = count_new_commits(
            state.sandbox, boilerplate.commit if boilerplate else None)

    def _record(self, state: _RunState, kind: FailureKind, exc: BaseException) -> Outcome:
        """Add ``exc`` to the run's errors and log; the outcome if it ends the run."""
        message = self.redactor.text(str(exc)) or type(exc).__name__
        state.result.errors.append(ErrorRecord(stage=state.stage, kind=kind,
                                               type=type(exc).__name__, message=message))
        state.log.events.error("error", stage=state.stage, kind=kind.value,
                               type=type(exc).__name__, message=message,
                               exc_info=kind is FailureKind.INFRA)
        return Outcome.failed(kind, f"{state.stage}: {message}", overridable=False)


# How a phase's exception ends it: whose failure it is, the reason, and whether
# continue_on_failure may override it. The first matching class wins.
_PHASE_FAILURES: tuple[tuple[type[Exception], FailureKind, str, bool], ...] = (
    (BudgetExceeded, FailureKind.AGENT, "budget exceeded in phase {phase!r}: {error}", False),
    (AgentError, FailureKind.AGENT, "phase {phase!r} failed: {error}", True),
    (InfraError, FailureKind.INFRA, "infrastructure failure in phase {phase!r}: {error}",
     False),
    (SetupError, FailureKind.CONFIG, "phase {phase!r} cannot run as configured: {error}",
     False),
    (SandboxError, FailureKind.INFRA, "infrastructure failure in phase {phase!r}: {error}",
     False),
    (Exception, FailureKind.INFRA, "the {agent} agent crashed in phase {phase!r}: {error}",
     False),
)


def _phase_failure(exc: Exception, phase: str, error: str, agent: str) -> Outcome:
    kind, template, overridable = next((kind, template, overridable)
                                       for cls, kind, template, overridable in _PHASE_FAILURES
                                       if isinstance(exc, cls))
    return Outcome.failed(kind, template.format(phase=phase, error=error, agent=agent),
                          overridable=overridable)


def model_of(agent: Agent, config: BenchmarkConfig) -> str | None:
    """The model an agent will use for this benchmark, if it says (``model_for``)."""
    model_for = getattr(agent, "model_for", None)
    return str(model_for(config)) if model_for is not None else None


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
