"""The per-item metrics collector that agents and the runner report into."""

from __future__ import annotations

from ..model.metrics import QualityMetrics, Usage


class MetricsCollector:
    """One per benchmark item (the ``gaobench_metrics`` fixture): usage per phase, then totals."""

    def __init__(self) -> None:
        self.phases: dict[str, Usage] = {}
        self.quality = QualityMetrics()
        self.custom: dict[str, float] = {}

    def clear(self) -> None:
        """Start over: a runner clears its collector at the start of each run."""
        self.phases, self.quality, self.custom = {}, QualityMetrics(), {}

    def phase(self, name: str) -> Usage:
        """The usage record an agent reports into while it works on phase ``name``."""
        return self.phases.setdefault(name, Usage())

    def total(self) -> Usage:
        return Usage.summed(list(self.phases.values()))
