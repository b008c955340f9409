"""Comparing two runs metric by metric, with deltas and a regression threshold.

Which metrics are compared, and which way is worse, comes from the metric registry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..model.registry import METRICS, Better
from ..model.result import BenchmarkResult
from ..model.status import BenchmarkStatus
from .formatting import format_delta, format_metric, table_lines


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    a: float | None
    b: float | None
    delta: float | None
    delta_percent: float | None
    regressed: bool
    gated: bool = True
    """False for information only (wall time): it is shown, never a regression."""


@dataclass(frozen=True)
class Comparison:
    run_a: str
    run_b: str
    status_a: BenchmarkStatus
    status_b: BenchmarkStatus
    threshold_percent: float
    metrics: list[MetricDelta]
    warnings: tuple[str, ...] = ()

    @property
    def regressed(self) -> bool:
        status_worse = (self.status_a is BenchmarkStatus.COMPLETED
                        and self.status_b is not BenchmarkStatus.COMPLETED)
        return status_worse or any(m.regressed for m in self.metrics)

    def to_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in asdict(self).items() if k != "metrics"},
                "status_a": self.status_a.value, "status_b": self.status_b.value,
                "regressed": self.regressed,
                "metrics": [asdict(m) for m in self.metrics]}

    def table(self) -> list[str]:
        rows = [("metric", self.run_a, self.run_b, "delta", ""),
                ("status", self.status_a.value, self.status_b.value, "", "")]
        rows += [(m.metric, format_metric(m.metric, m.a), format_metric(m.metric, m.b),
                  format_delta(m.delta, m.delta_percent),
                  "REGRESSED" if m.regressed else "" if m.gated else "(information)")
                 for m in self.metrics]
        verdict = "regressed" if self.regressed else "no regression"
        return [*(f"warning: {w}" for w in self.warnings), *table_lines(rows),
                f"{verdict} (threshold {self.threshold_percent:g}%)"]


def compare(a: BenchmarkResult, b: BenchmarkResult, threshold_percent: float = 10.0
            ) -> Comparison:
    """B against A: a gated metric regresses when it is worse by more than the threshold
    percent and by more than its absolute floor (from the metric registry); the others
    (wall time: it depends on the machine) are shown for information."""
    flat_a, flat_b = a.metrics.flat(), b.metrics.flat()
    deltas = []
    for metric in METRICS:
        if not metric.compared:
            continue
        va, vb = _number(flat_a.get(metric.name)), _number(flat_b.get(metric.name))
        if va is None and vb is None:
            continue
        delta = vb - va if va is not None and vb is not None else None
        percent = delta / va * 100 if delta is not None and va else None
        worse = delta is not None and (delta > 0 if metric.better is Better.LOWER
                                       else delta < 0)
        # Worse by more than the threshold (any amount from zero) and by more than the
        # metric's floor: small absolute changes of counts are noise, not regressions.
        regressed = (metric.gated and worse and delta is not None
                     and abs(delta) > metric.floor
                     and (abs(percent) > threshold_percent if percent is not None else True))
        deltas.append(MetricDelta(metric.name, va, vb, delta, percent, regressed,
                                  metric.gated))
    warnings = []
    if a.benchmark.name != b.benchmark.name:
        warnings.append(f"{a.run_id} is a run of {a.benchmark.name!r} and {b.run_id} of "
                        f"{b.benchmark.name!r}: their numbers may not be comparable")
    return Comparison(a.run_id, b.run_id, a.status, b.status, threshold_percent, deltas,
                      tuple(warnings))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
