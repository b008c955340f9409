"""The summary of a session's runs: one row per run, a table, and repeat statistics.

The terminal summary and the HTML page build the same rows and the same cells here.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from ..model.registry import TOKEN_METRICS
from ..model.status import BenchmarkStatus
from .formatting import MISSING, format_metric, format_value, table_lines


def _without_attempt(row: SummaryRow, with_variant: bool) -> str:
    """``calc[2]`` -> ``calc``, or ``calc (claude-code sonnet)`` when agents are compared."""
    base = row.benchmark.split("[", 1)[0]
    variant = [part for part in (row.agent, row.model) if part]
    return f"{base} ({' '.join(variant)})" if with_variant and variant else base
HEADER = ("benchmark", "status", "time", "tokens", "cost", "coverage", "turns",
          "interventions", "failure")


@dataclass(frozen=True)
class SummaryRow:
    benchmark: str
    run_id: str
    status: BenchmarkStatus
    seconds: float | None
    tokens: int | None
    cost_usd: float | None
    coverage: float | None
    turns: int | None
    interventions: int | None
    failure_kind: str
    agent: str = ""
    model: str | None = None
    warnings: tuple[str, ...] = ()
    details: str = ""
    """Why it failed, as the pytest failure text says (verdict, criteria, failing tests)."""

    @classmethod
    def from_properties(cls, nodeid: str, props: dict[str, Any], details: str = "",
                        warnings: tuple[str, ...] = ()) -> SummaryRow:
        """A row from a test report's JUnit properties (what xdist workers send back);
        ``warnings``: its 'warning' properties (a name that repeats)."""
        known = [int(props[name]) for name in TOKEN_METRICS if props.get(name) is not None]
        return cls(
            benchmark=nodeid.split("::")[-1],
            run_id=str(props["run_id"]),
            status=BenchmarkStatus(props["status"]),
            seconds=_float(props.get("duration_seconds")),
            tokens=sum(known) if known else None,
            cost_usd=_float(props.get("cost_usd")),
            coverage=_float(props.get("coverage_percent")),
            turns=_int(props.get("turns")),
            interventions=_int(props.get("manual_interventions")),
            failure_kind=str(props.get("failure_kind", "")),
            agent=str(props.get("agent", "")),
            model=None if props.get("model") is None else str(props["model"]),
            warnings=warnings,
            details="\n".join(details.splitlines()[:60]),
        )

    @property
    def passed(self) -> bool:
        return self.status is BenchmarkStatus.COMPLETED

    def cells(self) -> tuple[str, ...]:
        """The row's cells under ``HEADER``."""
        return (self.benchmark, self.status.value.upper(),
                format_metric("duration_seconds", self.seconds),
                format_value(self.tokens, "tokens"),
                format_metric("cost_usd", self.cost_usd),
                format_metric("coverage_percent", self.coverage),
                format_metric("turns", self.turns),
                format_metric("manual_interventions", self.interventions),
                self.failure_kind or MISSING)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def render_summary(rows: list[SummaryRow]) -> list[str]:
    lines = table_lines([HEADER, *(row.cells() for row in rows)], rule=True)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status.value] = counts.get(row.status.value, 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return lines + repeat_summary(rows) + agent_summary(rows) + warning_lines(rows)


def warning_lines(rows: list[SummaryRow]) -> list[str]:
    """Every run warning once, with the benchmarks that had it."""
    seen: dict[str, list[str]] = {}
    for row in rows:
        for warning in row.warnings:
            names = seen.setdefault(warning, [])
            if row.benchmark not in names:
                names.append(row.benchmark)
    if not seen:
        return []
    lines = ["", "warnings:"]
    for warning, names in seen.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        lines.append(f"  {shown}: {warning}")
    return lines


AGENT_HEADER = ("agent", "model", "runs", "completed", "pass rate", "mean time", "tokens",
                "cost")


def agent_summary(rows: list[SummaryRow]) -> list[str]:
    """With several agents or models in the session: each side by side, over its runs."""
    groups: dict[tuple[str, str], list[SummaryRow]] = {}
    for row in rows:
        if not row.agent:  # an invalid benchmark file: no agent ran it
            continue
        groups.setdefault((row.agent, row.model or MISSING), []).append(row)
    if len(groups) < 2:
        return []
    table = [AGENT_HEADER]
    for (agent, model), runs in groups.items():
        passed = sum(r.passed for r in runs)
        seconds = [r.seconds for r in runs if r.seconds is not None]
        tokens = [r.tokens for r in runs if r.tokens is not None]
        costs = [r.cost_usd for r in runs if r.cost_usd is not None]
        table.append((agent or MISSING, model, str(len(runs)), str(passed),
                      f"{passed / len(runs):.0%}",
                      format_metric("duration_seconds",
                                    statistics.mean(seconds) if seconds else None),
                      format_value(sum(tokens) if tokens else None, "tokens"),
                      format_metric("cost_usd", sum(costs) if costs else None)))
    return ["", "by agent and model:", *table_lines(table, rule=True)]


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from n runs of which c passed (Chen et al., 2021)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def repeat_summary(rows: list[SummaryRow]) -> list[str]:
    """For benchmarks run several times (name[1], name[2], ...): pass@k and mean ± spread."""
    several = len({(row.agent, row.model) for row in rows}) > 1
    groups: dict[str, list[SummaryRow]] = {}
    for row in rows:  # the repeats of one benchmark (with one agent and model)
        groups.setdefault(_without_attempt(row, several), []).append(row)
    lines = []
    for name, runs in groups.items():
        if len(runs) < 2:
            continue
        n = len(runs)
        c = sum(r.passed for r in runs)
        parts = [f"{name}: {c}/{n} completed", f"pass@1 {pass_at_k(n, c, 1):.2f}",
                 f"pass@{n} {pass_at_k(n, c, n):.2f}"]
        for label, values, unit in (("time", [r.seconds for r in runs], "s"),
                                    ("tokens", [r.tokens for r in runs], "tokens"),
                                    ("cost", [r.cost_usd for r in runs], "usd")):
            known = [float(v) for v in values if v is not None]
            if len(known) >= 2:
                mean, spread = statistics.mean(known), statistics.stdev(known)
                parts.append(f"{label} {format_value(mean, unit)} ± "
                             f"{format_value(spread, unit)}")
        lines.append(", ".join(parts))
    return lines
