"""Success criteria, graded by the harness after the agent has stopped.

Each check runs in a fresh subprocess in the workspace; its reports (JUnit XML,
coverage data) are written to a grading folder outside the workspace and read from
there, so nothing the agent wrote or printed is taken as a verdict. A test run that
collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..containers.engine import ContainerError
from ..containers.host import ContainerHost
from ..containers.verifier import run_verifier
from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig
from ..sandbox.boilerplate import BoilerplateManager
from ..sandbox.sandbox import Sandbox
from .errors import GradingSetupError
from .interpreter_first import interpreter_first_env
from .lint import count_lint_errors
from .named_tests import PATCH_SECONDS, boilerplate_again, run_named_tests
from .planted_config import benchmark_config
from .test_run import run_hidden_tests, run_tests
from .workspace import matching_files


@dataclass
class Grading:
    criteria: list[CriterionResult]
    quality: QualityMetrics

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria)

    def failures(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.passed]


def grading_seconds(config: BenchmarkConfig) -> float:
    """The longest grading can take: the sum of the limits of every step ``grade`` and the
    custom metrics may run."""
    criteria = config.success_criteria
    total = sum(c.timeout_seconds for c in criteria.commands)
    total += sum(m.timeout_seconds for m in config.metrics)
    if runs_own_tests(config):
        total += criteria.test_timeout_seconds
    if criteria.grading_tests is not None:
        total += criteria.test_timeout_seconds
    if criteria.named_tests is not None:
        total += criteria.test_timeout_seconds + PATCH_SECONDS
    if criteria.lint is not None:
        total += criteria.lint.timeout_seconds
    return total


def runs_own_tests(config: BenchmarkConfig) -> bool:
    """Whether grading runs the workspace's own tests (for ``tests_must_pass`` or the
    coverage they measure)."""
    criteria = config.success_criteria
    return criteria.tests_must_pass or (criteria.min_test_coverage is not None
                                        and criteria.coverage_from == "own_tests")


def runs_pytest(config: BenchmarkConfig) -> bool:
    """Whether grading runs pytest (the workspace's own tests without a ``test_command``,
    hidden tests, named tests)."""
    criteria = config.success_criteria
    return (runs_own_tests(config) and not criteria.test_command) \
        or criteria.grading_tests is not None or criteria.named_tests is not None


def grade(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path,
          boilerplate: BoilerplateManager, *, errors: int,
          manual_interventions: int) -> Grading:
    """``grading_dir`` must not exist yet: grading makes it, so nothing in it was written
    before grading began. ``boilerplate`` makes the boilerplate again for ``named_tests``."""
    criteria = config.success_criteria
    grading_dir.mkdir(parents=True, exist_ok=False)
    results: list[CriterionResult] = []
    quality = QualityMetrics()

    for pattern in criteria.required_features:
        found = matching_files(sandbox.workspace, pattern)
        results.append(CriterionResult(
            name=f"required_feature:{pattern}", passed=bool(found),
            detail=f"{len(found)} file(s)" if found else "no file matches"))

    hidden_quality: QualityMetrics | None = None
    benchmarks_own: list[QualityMetrics] = []  # the benchmark's tests, counted apart
    if criteria.grading_tests is not None:
        hidden, hidden_quality = run_hidden_tests(config, sandbox, grading_dir)
        quality = hidden_quality
        results.append(hidden)
        benchmarks_own.append(hidden_quality)
    if criteria.named_tests is not None:
        named = run_named_tests(config, sandbox, grading_dir, boilerplate)
        results.extend(named.criteria)
        benchmarks_own.append(named.quality)
        if hidden_quality is None:
            quality = named.quality
    if runs_own_tests(config):
        # The agent's own tests give the quality numbers (tests, coverage) when they run.
        tests, quality = run_tests(config, sandbox, grading_dir)
        if criteria.tests_must_pass:
            results.append(tests)
    if criteria.min_test_coverage is not None:
        hidden_tests = criteria.coverage_from == "grading_tests"
        measured = (hidden_quality.coverage_percent if hidden_quality is not None else None) \
            if hidden_tests else quality.coverage_percent
        quality.coverage_percent = measured
        by = "the hidden grading tests" if hidden_tests else (
            "the agent's own tests, in their own process (code under test can change the "
            "figure there; coverage_from: grading_tests cannot be)")
        results.append(CriterionResult(
            name="min_test_coverage",
            passed=measured is not None and measured >= criteria.min_test_coverage,
            detail=(f"{measured:.1f}% measured by {by} (need "
                    f"{criteria.min_test_coverage:g}%)" if measured is not None
                    else f"coverage could not be measured by {by}")))

    tools = criteria.lint is not None or bool(criteria.commands)
    with (benchmark_config(sandbox.workspace, grading_dir / "agent-config",
                           config_source(config, grading_dir, boilerplate))
          if tools else contextlib.nullcontext()):
        if criteria.lint is not None:
            quality.lint_errors, detail = count_lint_errors(config, criteria.lint, sandbox,
                                                            grading_dir)
            if criteria.max_lint_errors is not None:
                passed = quality.lint_errors is not None and \
                    quality.lint_errors <= criteria.max_lint_errors
                results.append(CriterionResult(
                    name="max_lint_errors", passed=passed,
                    detail=detail or f"{quality.lint_errors} lint error(s), at most "
                                     f"{criteria.max_lint_errors} allowed"))

        for command in criteria.commands:  # `python -m TOOL` finds the interpreter's TOOL
            outcome = sandbox.run_shell(command.run, timeout=command.timeout_seconds,
                                        env=interpreter_first_env(sandbox))
            if outcome.timed_out:
                detail = f"timed out after {command.timeout_seconds:g}s"
            else:
                detail = f"exit code {outcome.exit_code}"
                if not outcome.ok and outcome.tail(3):
                    detail += f": {outcome.tail(3)}"
            results.append(CriterionResult(name=f"command:{command.name}", passed=outcome.ok,
                                           detail=detail))

    if criteria.max_errors is not None:
        results.append(CriterionResult(
            name="max_errors", passed=errors <= criteria.max_errors,
            detail=f"{errors} error(s), at most {criteria.max_errors} allowed"))
    if criteria.max_manual_interventions is not None:
        limit = criteria.max_manual_interventions
        results.append(CriterionResult(
            name="max_manual_interventions", passed=manual_interventions <= limit,
            detail=f"{manual_interventions} intervention(s), at most {limit} allowed"))
    if criteria.verifier is not None:  # last: it stops what the agent left running
        results.append(verified(config, sandbox, grading_dir, criteria.verifier))
    return Grading(results, quality.with_grading_tests(*benchmarks_own))


def verified(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path,
             verifier: str) -> CriterionResult:
    """The container benchmark's verifier; one that cannot start is infra."""
    if not isinstance(sandbox.host, ContainerHost):
        raise GradingSetupError("the verifier needs the run's container, which is not there")
    try:
        return run_verifier(config.base_dir / verifier, sandbox.host, grading_dir,
                            sandbox.run_id, config.success_criteria.verifier_timeout_seconds)
    except ContainerError as exc:
        raise GradingSetupError(f"the verifier could not run: {exc}") from exc


def config_source(config: BenchmarkConfig, grading_dir: Path,
                  boilerplate: BoilerplateManager) -> Path | None:
    """Where the boilerplate's own config files are read: its folder, or for a repository
    a fresh checkout in the grading folder."""
    if config.boilerplate_url is None:
        return config.boilerplate_dir
    return boilerplate_again(config, grading_dir / "config-boilerplate", boilerplate)
