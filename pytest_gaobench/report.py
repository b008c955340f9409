"""What people and CI see: JUnit properties per run and the terminal summary table."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from typing import Any

from .result import BenchmarkResult

_REPEAT = re.compile(r"\[\d+\]$")


def junit_properties(result: BenchmarkResult) -> list[tuple[str, Any]]:
    """status, run_id, failure_kind, timings and every measured metric; absent = not there."""
    properties: list[tuple[str, Any]] = [("status", result.status.value),
                                         ("run_id", result.run_id)]
    if result.failure_kind is not None:
        properties.append(("failure_kind", result.failure_kind.value))
    properties.extend((name, value) for name, value in result.metrics.flat().items())
    return properties


@dataclass(frozen=True)
class SummaryRow:
    benchmark: str
    run_id: str
    status: str
    seconds: float | None
    tokens: int | None
    cost_usd: float | None
    coverage: float | None
    turns: int | None
    interventions: int | None
    reason: str

    @classmethod
    def from_properties(cls, nodeid: str, props: dict[str, Any]) -> SummaryRow:
        tokens = [props.get(k) for k in ("tokens_input", "tokens_output", "tokens_cache_read",
                                         "tokens_cache_write")]
        known = [int(t) for t in tokens if t is not None]
        return cls(
            benchmark=nodeid.split("::")[-1],
            run_id=str(props["run_id"]),
            status=str(props["status"]).upper(),
            seconds=_float(props.get("duration_seconds")),
            tokens=sum(known) if known else None,
            cost_usd=_float(props.get("cost_usd")),
            coverage=_float(props.get("coverage_percent")),
            turns=_int(props.get("turns")),
            interventions=_int(props.get("manual_interventions")),
            reason=str(props.get("failure_kind", "")),
        )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def render_summary(rows: list[SummaryRow]) -> list[str]:
    header = ("benchmark", "status", "time", "tokens", "cost", "coverage", "turns",
              "interventions", "failure")
    table = [header] + [
        (row.benchmark, row.status,
         f"{row.seconds:.1f}s" if row.seconds is not None else "-",
         f"{row.tokens:,}" if row.tokens is not None else "-",
         f"${row.cost_usd:.4f}" if row.cost_usd is not None else "-",
         f"{row.coverage:.1f}%" if row.coverage is not None else "-",
         str(row.turns) if row.turns is not None else "-",
         str(row.interventions) if row.interventions is not None else "-",
         row.reason or "-")
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    lines.append(", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items())))
    return lines + repeat_summary(rows)


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from n runs of which c passed (Chen et al., 2021)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def repeat_summary(rows: list[SummaryRow]) -> list[str]:
    """For benchmarks run several times (name[1], name[2], ...): pass@k and mean ± spread."""
    groups: dict[str, list[SummaryRow]] = {}
    for row in rows:
        groups.setdefault(_REPEAT.sub("", row.benchmark), []).append(row)
    lines = []
    for name, runs in groups.items():
        if len(runs) < 2:
            continue
        n = len(runs)
        c = sum(r.status == "COMPLETED" for r in runs)
        parts = [f"{name}: {c}/{n} completed", f"pass@1 {pass_at_k(n, c, 1):.2f}",
                 f"pass@{n} {pass_at_k(n, c, n):.2f}"]
        for label, values, unit in (("time", [r.seconds for r in runs], "s"),
                                    ("tokens", [r.tokens for r in runs], ""),
                                    ("cost", [r.cost_usd for r in runs], "$")):
            known = [float(v) for v in values if v is not None]
            if len(known) >= 2:
                mean, spread = statistics.mean(known), statistics.stdev(known)
                parts.append(f"{label} {_with_unit(mean, unit)} ± {_with_unit(spread, unit)}")
        lines.append(", ".join(parts))
    return lines


def _with_unit(value: float, unit: str) -> str:
    return f"${value:.4f}" if unit == "$" else f"{value:.1f}{unit}" if unit else f"{value:,.0f}"
