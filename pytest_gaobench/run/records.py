"""A run's result record: made at the start, filled at the end, written redacted, and
heard by the listeners. Also the records of runs that never got going: a benchmark file
that failed validation, and a run whose bookkeeping could not be set up."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from ..agents.base import Agent
from ..grading.workspace import count_new_commits, matching_files
from ..logs.redaction import Redactor
from ..model.result import (
    BenchmarkInfo,
    BenchmarkResult,
    ErrorRecord,
    PhaseResult,
    PhaseStatus,
    write_status,
)
from ..model.spec import BenchmarkConfig, SpecError
from ..model.status import BenchmarkStatus, FailureKind, StatusHistory, utcnow
from ..sandbox.sandbox import Sandbox, SandboxManager
from .collector import MetricsCollector
from .outcome import Outcome

ResultListener = Callable[[BenchmarkResult], None]


class ResultListenerWarning(UserWarning):
    """A result listener (a plugin's pytest_gaobench_result_ready, say) raised."""


def model_of(agent: Agent, config: BenchmarkConfig) -> str | None:
    """The model an agent will use for this benchmark, if it says (``model_for``)."""
    model_for = getattr(agent, "model_for", None)
    model = model_for(config) if model_for is not None else None
    return str(model) if model else None  # "": the agent does not say


def benchmark_info(config: BenchmarkConfig) -> BenchmarkInfo:
    return BenchmarkInfo(name=config.name, version=config.version,
                         description=config.description, source=str(config.source_path),
                         tags=list(config.tags))


def redacted(redactor: Redactor, result: BenchmarkResult) -> BenchmarkResult:
    """The result with every secret taken out of every field (phase errors, criteria
    details, warnings, metadata...): what is written and what listeners see."""
    return BenchmarkResult.model_validate(redactor.value(result.model_dump(mode="json")))


def close_record(result: BenchmarkResult, outcome: Outcome, config: BenchmarkConfig,
          collected: MetricsCollector) -> None:
    """The run's end in its record: the reason, the phases never reached (skipped), and
    whether it succeeded in one shot."""
    result.end_time = utcnow()
    result.reason = outcome.reason or None
    result.failure_kind = outcome.kind
    reached = {p.name for p in result.phases}
    result.phases += [PhaseResult(name=p.phase_name, role=p.agent, status=PhaseStatus.SKIPPED)
                      for p in config.workflow_phases if p.phase_name not in reached]
    result.metrics.workflow.one_shot_success = (
        outcome.status is BenchmarkStatus.COMPLETED
        and all(p.status is PhaseStatus.COMPLETED for p in result.phases)
        and not collected.total().manual_interventions)


def fill_metrics(config: BenchmarkConfig, sandbox: Sandbox, collected: MetricsCollector,
                 result: BenchmarkResult) -> None:
    metrics = result.metrics
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
    workspace = sandbox.workspace
    patterns = [p for phase in config.workflow_phases for p in phase.expected_artifacts]
    if patterns and workspace.exists():
        found = {f for p in patterns for f in matching_files(workspace, p)}
        metrics.workflow.artifacts_produced = len(found)
    boilerplate = result.metadata.boilerplate
    metrics.workflow.commits = count_new_commits(
        sandbox, boilerplate.commit if boilerplate else None)


def make_safe_to_keep(manager: SandboxManager, result: BenchmarkResult, kept: Path) -> None:
    """A kept workspace is private and holds no set-id file; what was cleared is warned."""
    try:
        cleared = manager.made_safe_to_keep(kept)
    except OSError as exc:
        result.warnings.append(f"the kept workspace could not be made private: {exc}")
        return
    if cleared:
        shown = ", ".join(cleared[:5]) + (f" and {len(cleared) - 5} more"
                                          if len(cleared) > 5 else "")
        result.warnings.append(f"the kept workspace held setuid/setgid files; their set-id "
                               f"bits were cleared: {shown}")


def not_started(result: BenchmarkResult, exc: Exception, redactor: Redactor,
                run_dir: Path) -> BenchmarkResult:
    """A run whose bookkeeping could not be set up still ends with a result (FAILED,
    infra), written where it can be."""
    now = utcnow()
    history = StatusHistory()
    history.transition(BenchmarkStatus.FAILED)
    result.status, result.failure_kind = BenchmarkStatus.FAILED, FailureKind.INFRA
    result.status_history = list(history.changes)
    result.start_time = result.end_time = now
    result.duration_seconds = 0.0
    result.reason = redactor.text(f"the run could not start: {type(exc).__name__}: {exc}")
    result.errors.append(ErrorRecord(stage="start", kind=FailureKind.INFRA,
                                     type=type(exc).__name__,
                                     message=redactor.text(str(exc))))
    result = redacted(redactor, result)
    with contextlib.suppress(OSError):
        result.write(run_dir / "result.json")
    return result


def tell_listeners(listeners: Sequence[ResultListener], redactor: Redactor,
                   result: BenchmarkResult) -> None:
    """A listener that raises costs a warning: the result is on disk already, and an
    interruption in flight must stay an interruption."""
    for listener in listeners:
        try:
            listener(result)
        except Exception as exc:
            message = redactor.text(f"{type(exc).__name__}: {exc}")
            warnings.warn(ResultListenerWarning(
                f"a listener of run {result.run_id} failed: {message}"), stacklevel=3)


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
