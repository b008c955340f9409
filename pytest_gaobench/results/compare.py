"""Comparing two runs metric by metric, with deltas and a regression threshold.

Which metrics are compared, and which way is worse, comes from the metric registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ..model.registry import METRICS, Better
from .formatting import format_delta, format_metric, table_lines

if TYPE_CHECKING:
    from ..model.result import BenchmarkResult

COMPLETED = "completed"


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
    status_a: str
    status_b: str
    """Status values ('completed', 'failed', ...): comparing needs no models loaded."""
    threshold_percent: float
    metrics: list[MetricDelta]
    warnings: tuple[str, ...] = ()

    @property
    def status_regressed(self) -> bool:
        return self.status_a == COMPLETED and self.status_b != COMPLETED

    @property
    def regressed(self) -> bool:
        return self.status_regressed or any(m.regressed for m in self.metrics)

    def to_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in asdict(self).items() if k != "metrics"},
                "regressed": self.regressed,
                "metrics": [asdict(m) for m in self.metrics]}

    def table(self) -> list[str]:
        rows = [("metric", self.run_a, self.run_b, "delta", ""),
                ("status", self.status_a, self.status_b, "",
                 "REGRESSED" if self.status_regressed else "")]
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
    return compare_rows(_row(a), _row(b), threshold_percent)


def _row(result: BenchmarkResult) -> dict[str, object]:
    return {"run_id": result.run_id, "benchmark": result.benchmark.name,
            "status": result.status.value, **result.metrics.flat()}


def compare_rows(a: Mapping[str, object], b: Mapping[str, object],
                 threshold_percent: float = 10.0) -> Comparison:
    """``compare`` on flat rows (run_id, benchmark, status and each metric by name), as the
    results database stores them: a quick `gao-dev results compare` loads no model."""
    deltas = []
    for metric in METRICS:
        if not metric.compared:
            continue
        va, vb = _number(a.get(metric.name)), _number(b.get(metric.name))
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
    if a["benchmark"] != b["benchmark"]:
        warnings.append(f"{a['run_id']} is a run of {a['benchmark']!r} and {b['run_id']} of "
                        f"{b['benchmark']!r}: their numbers may not be comparable")
    return Comparison(str(a["run_id"]), str(b["run_id"]), str(a["status"]), str(b["status"]),
                      threshold_percent, deltas, tuple(warnings))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
