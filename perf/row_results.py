"""Row: `gao-dev results` over a database of 1,000 runs against a bare Python start."""

from __future__ import annotations

import sys
from pathlib import Path

from timing import report, side_by_side, timed


def results_commands(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.status import BenchmarkStatus
    from pytest_gaobench.results.store import ResultStore

    db = scratch / "results.db"
    store = ResultStore(f"sqlite:///{db}")
    for n in range(1000):
        result = BenchmarkResult(run_id=f"20260101-{n:06d}", status=BenchmarkStatus.COMPLETED,
                                 benchmark=BenchmarkInfo(name=f"bench-{n % 40}"))
        result.metrics.usage.record_api_call(tokens_input=1000 + n, tokens_output=50,
                                             cost_usd=0.01)
        store.save(result)
    store.close()
    gao = [sys.executable, "-m", "pytest_gaobench.cli", "results", f"--db={db}"]
    empty = [sys.executable, "-c", "pass"]
    for what, args in (("list", ["list"]),
                       ("compare", ["compare", "20260101-000001", "20260101-000041"])):
        ours, python = side_by_side(lambda a=args: timed([*gao, *a], scratch),  # type: ignore[misc]
                                    lambda: timed(empty, scratch), repeat)
        report(f"gao-dev results {what} (1,000 runs) vs a bare `python -c pass`", ours, python,
               "<= 0.3 s wall for gao-dev")
