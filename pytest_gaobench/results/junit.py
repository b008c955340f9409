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
    properties.extend(("warning", warning) for warning in result.warnings)
    return properties
