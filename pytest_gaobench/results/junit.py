"""JUnit properties of a run: what CI systems show beside each benchmark's test case."""

from __future__ import annotations

from typing import Any

from ..model.result import BenchmarkResult


def junit_properties(result: BenchmarkResult) -> list[tuple[str, Any]]:
    """status, run_id, failure_kind, the reason, timings and every measured metric; absent =
    not there."""
    properties: list[tuple[str, Any]] = [("status", result.status.value),
                                         ("run_id", result.run_id),
                                         ("agent", result.agent)]
    if result.model is not None:
        properties.append(("model", result.model))
    if result.failure_kind is not None:
        properties.append(("failure_kind", result.failure_kind.value))
    if result.reason:
        properties.append(("reason", result.reason))
    properties.extend((name, value) for name, value in result.metrics.flat().items())
    # Each criterion's verdict: the counts above are the project's own tests, and a run
    # that failed its hidden tests must say so where CI looks.
    if result.criteria:
        failed = [c for c in result.criteria if not c.passed]
        properties += [("criteria_passed", len(result.criteria) - len(failed)),
                       ("criteria_failed", len(failed))]
        for criterion in result.criteria:
            properties.append((f"criterion.{criterion.name}",
                               "passed" if criterion.passed else "failed"))
            if not criterion.passed:
                properties.append((f"criterion.{criterion.name}.detail", criterion.detail))
    properties.extend(("warning", warning) for warning in result.warnings)
    return properties
