"""Comparing two runs metric by metric, with deltas and a regression threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .result import BenchmarkResult
from .status import BenchmarkStatus

# Metrics where a larger value is worse; coverage is the one where smaller is worse.
HIGHER_IS_WORSE = ("duration_seconds", "api_calls", "tokens_input", "tokens_output",
                   "tokens_cache_read", "tokens_cache_write", "cost_usd", "turns", "tool_calls",
                   "tool_errors", "retries", "manual_interventions")
LOWER_IS_WORSE = ("coverage_percent", "tests_passed")


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    a: float | None
    b: float | None
    delta: float | None
    delta_percent: float | None
    regressed: bool


@dataclass(frozen=True)
class Comparison:
    run_a: str
    run_b: str
    status_a: str
    status_b: str
    threshold_percent: float
    metrics: list[MetricDelta]

    @property
    def regressed(self) -> bool:
        status_worse = (self.status_a == BenchmarkStatus.COMPLETED.value
                        and self.status_b != BenchmarkStatus.COMPLETED.value)
        return status_worse or any(m.regressed for m in self.metrics)

    def to_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in asdict(self).items() if k != "metrics"},
                "regressed": self.regressed,
                "metrics": [asdict(m) for m in self.metrics]}

    def table(self) -> list[str]:
        rows = [("metric", self.run_a, self.run_b, "delta", "")]
        rows.append(("status", self.status_a, self.status_b, "", ""))
        for m in self.metrics:
            pct = f" ({m.delta_percent:+.1f}%)" if m.delta_percent is not None else ""
            delta = f"{m.delta:+g}{pct}" if m.delta is not None else "-"
            rows.append((m.metric, _cell(m.a), _cell(m.b), delta,
                         "REGRESSED" if m.regressed else ""))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        verdict = "regressed" if self.regressed else "no regression"
        lines.append(f"{verdict} (threshold {self.threshold_percent:g}%)")
        return lines


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def compare(a: BenchmarkResult, b: BenchmarkResult, threshold_percent: float = 10.0,
            ignore: tuple[str, ...] = ()) -> Comparison:
    """B against A: a metric regresses when it is worse by more than the threshold."""
    flat_a, flat_b = a.metrics.flat(), b.metrics.flat()
    deltas = []
    for metric in (*HIGHER_IS_WORSE, *LOWER_IS_WORSE):
        if metric in ignore:
            continue
        va, vb = _number(flat_a.get(metric)), _number(flat_b.get(metric))
        if va is None and vb is None:
            continue
        delta = vb - va if va is not None and vb is not None else None
        percent = delta / va * 100 if delta is not None and va else None
        worse = delta is not None and (delta > 0 if metric in HIGHER_IS_WORSE else delta < 0)
        regressed = worse and (abs(percent) > threshold_percent if percent is not None
                               else delta != 0)
        deltas.append(MetricDelta(metric, va, vb, delta, percent, regressed))
    return Comparison(a.run_id, b.run_id, a.status.value, b.status.value, threshold_percent,
                      deltas)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
