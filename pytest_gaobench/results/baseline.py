"""The regression gate: --gaobench-baseline REF fails the session when a run got worse.

REF is ``latest`` (each benchmark against its newest run stored before this session)
or a run id (that run's benchmark against it). Wall time is left out of the gate:
it varies with the machine's load more than with the agent.
"""

from __future__ import annotations

from ..model.result import BenchmarkResult
from .compare import Comparison, compare
from .store import ResultStore

LATEST = "latest"


def check_baseline(store: ResultStore, ref: str, run_ids: list[str], session_start: str,
                   threshold_percent: float) -> tuple[list[Comparison], list[str]]:
    """Comparisons of this session's runs against their baselines, and notes on runs
    that had none."""
    comparisons: list[Comparison] = []
    notes: list[str] = []
    pinned = store.get(ref) if ref != LATEST else None
    if ref != LATEST and pinned is None:
        return [], [f"baseline run {ref} is not in the database"]
    for run_id in run_ids:
        current = store.get(run_id)
        if current is None:
            continue
        base: BenchmarkResult | None
        if pinned is not None:
            if pinned.benchmark.name != current.benchmark.name:
                continue
            base = pinned
        else:
            base = store.latest_before(current.benchmark.name, session_start)
        if base is None:
            notes.append(f"{current.benchmark.name}: no earlier run to compare with")
            continue
        comparisons.append(compare(base, current, threshold_percent))
    return comparisons, notes


def compare_batches(store: ResultStore, batch: str, against: str, threshold_percent: float
                    ) -> tuple[list[Comparison], list[str]]:
    """Each item of ``batch`` against the same item (node id, else benchmark name) in
    ``against``: the newest run of each on both sides."""
    def newest_by_item(name: str) -> dict[str, BenchmarkResult]:
        found: dict[str, BenchmarkResult] = {}
        for result in store.results(batch=name):  # newest first
            found.setdefault(result.metadata.node_id or result.benchmark.name, result)
        return found

    current, base = newest_by_item(batch), newest_by_item(against)
    comparisons = [compare(base[item], result, threshold_percent)
                   for item, result in sorted(current.items()) if item in base]
    notes = [f"{item}: not in batch {against}, nothing to compare with"
             for item in sorted(current) if item not in base]
    return comparisons, notes
