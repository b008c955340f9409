"""Success criteria, graded by the harness after the agent has stopped.

Each check runs in a fresh subprocess in the workspace; its reports (JUnit XML,
coverage data) are written to a grading folder outside the workspace and read from
there, so nothing the agent wrote or printed is taken as a verdict. A test run that
collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox
from .test_run import COVERAGE_REPORT_SECONDS, run_hidden_tests, run_tests
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
    if criteria.tests_must_pass or criteria.min_test_coverage is not None:
        total += criteria.test_timeout_seconds + COVERAGE_REPORT_SECONDS
    if criteria.grading_tests is not None:
        total += criteria.test_timeout_seconds + COVERAGE_REPORT_SECONDS
    if criteria.lint is not None:
        total += criteria.lint.timeout_seconds
    return total


def grade(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path, *, errors: int,
          manual_interventions: int) -> Grading:
    """``grading_dir`` must not exist yet: grading makes it, so nothing in it was written
    before grading began."""
    criteria = config.success_criteria
    grading_dir.mkdir(parents=True, exist_ok=False)
    results: list[CriterionResult] = []
    quality = QualityMetrics()

    for pattern in criteria.required_features:
        found = matching_files(sandbox.workspace, pattern)
        results.append(CriterionResult(
            name=f"required_feature:{pattern}", passed=bool(found),
            detail=f"{len(found)} file(s)" if found else "no file matches"))

    if criteria.grading_tests is not None:
        hidden, quality = run_hidden_tests(config, sandbox, grading_dir)
        results.append(hidden)
    if criteria.tests_must_pass or criteria.min_test_coverage is not None:
        # The agent's own tests give the quality numbers (tests, coverage) when they run.
        tests, quality = run_tests(config, sandbox, grading_dir)
        if criteria.tests_must_pass:
            results.append(tests)
        if criteria.min_test_coverage is not None:
            measured = quality.coverage_percent
            results.append(CriterionResult(
                name="min_test_coverage",
                passed=measured is not None and measured >= criteria.min_test_coverage,
                detail=(f"{measured:.1f}% (need {criteria.min_test_coverage:g}%)"
                        if measured is not None else "coverage could not be measured")))

    if criteria.lint is not None:
        quality.lint_errors, detail = _lint(criteria.lint.run, criteria.lint.timeout_seconds,
                                            sandbox)
        if criteria.max_lint_errors is not None:
            passed = quality.lint_errors is not None and \
                quality.lint_errors <= criteria.max_lint_errors
            results.append(CriterionResult(
                name="max_lint_errors", passed=passed,
                detail=detail or f"{quality.lint_errors} lint error(s), at most "
                                 f"{criteria.max_lint_errors} allowed"))

    for command in criteria.commands:
        outcome = sandbox.run_shell(command.run, timeout=command.timeout_seconds)
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
    return Grading(results, quality)


def _lint(script: str, timeout: float, sandbox: Sandbox) -> tuple[int | None, str]:
    """The number of lint errors, or None and why it could not be counted."""
    outcome = sandbox.run_shell(script, timeout=timeout)
    if outcome.timed_out:
        return None, f"lint command timed out after {timeout:g}s"
    text = outcome.stdout.strip()
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return len([line for line in text.splitlines() if line.strip()]), ""
    if isinstance(data, list):
        return len(data), ""
    if isinstance(data, dict) and isinstance(data.get("errors"), int):
        return int(data["errors"]), ""
    return None, "lint output is JSON but neither a list nor {\"errors\": N}"
