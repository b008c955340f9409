"""Durations for pytest-split: the median wall time of each benchmark item's recent runs.

pytest-split reads ``.test_durations``, a JSON object of pytest node id -> seconds. Only
completed runs count (a run that failed early would make its benchmark look fast).
"""

from __future__ import annotations

import statistics

from ..model.result import BenchmarkResult


def median_durations(results: list[BenchmarkResult], last: int) -> dict[str, float]:
    """Node id -> median seconds over the newest ``last`` completed runs of each item.
    ``results`` come newest first; runs without a recorded node id are skipped."""
    seen: dict[str, list[float]] = {}
    for result in results:
        node_id = result.metadata.node_id
        if not result.passed or node_id is None or result.duration_seconds is None:
            continue
        times = seen.setdefault(node_id, [])
        if len(times) < last:
            times.append(result.duration_seconds)
    return {node_id: round(statistics.median(times), 3)
            for node_id, times in sorted(seen.items())}
