"""The one list of headline metrics: name, unit, which way is better, where it is stored.

JUnit properties, database columns, ``compare``, the baseline gate and the summary
tables all read this list, so a metric is added in one place. The name is the key
of ``RunMetrics.flat()``, the JUnit property and the database column alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Better(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"
    NEITHER = "neither"
    """Informative only: never a regression either way."""


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    """A short column header for people."""
    unit: str
    """'s', 'tokens', 'usd', 'percent' or 'count'."""
    integer: bool
    better: Better
    floor: float = 0.0
    """The smallest absolute change that can count as a regression: one API retry more
    than a run with none is +100%, and still noise."""
    gated: bool = True
    """Part of the baseline gate; wall time is not: it follows the machine's load."""
    stored: bool = True
    """A column of the results database (the whole result is stored beside it anyway)."""

    @property
    def compared(self) -> bool:
        return self.better is not Better.NEITHER


def _count(name: str, label: str, better: Better = Better.LOWER, *, floor: float = 0.0,
           stored: bool = True) -> Metric:
    return Metric(name, label, "count", True, better, floor=floor, stored=stored)


def _tokens(name: str, label: str) -> Metric:
    return Metric(name, label, "tokens", True, Better.LOWER, floor=1000)


METRICS: tuple[Metric, ...] = (
    Metric("duration_seconds", "time", "s", False, Better.LOWER, floor=1.0, gated=False),
    _count("api_calls", "API calls", floor=2),
    _tokens("tokens_input", "input tokens"),
    _tokens("tokens_output", "output tokens"),
    _tokens("tokens_cache_read", "cache read tokens"),
    _tokens("tokens_cache_write", "cache write tokens"),
    Metric("cost_usd", "cost", "usd", False, Better.LOWER, floor=0.01),
    _count("turns", "turns", floor=2),
    _count("tool_calls", "tool calls", floor=3),
    _count("tool_errors", "tool errors", floor=2),
    _count("retries", "API retries", floor=3),
    _count("manual_interventions", "interventions"),
    _count("tests_written", "tests written", Better.NEITHER),
    _count("tests_total", "tests", Better.NEITHER),
    _count("tests_passed", "tests passed", Better.HIGHER),
    _count("tests_failed", "tests failed"),
    _count("tests_skipped", "tests skipped", Better.NEITHER),
    Metric("coverage_percent", "coverage", "percent", False, Better.HIGHER, floor=1.0),
    _count("lint_errors", "lint errors"),
    _count("phases_completed", "phases completed", Better.NEITHER, stored=False),
    _count("phases_failed", "phases failed", Better.NEITHER, stored=False),
    _count("artifacts_produced", "artifacts", Better.NEITHER, stored=False),
    _count("commits", "commits", Better.NEITHER, stored=False),
    _count("one_shot_success", "one-shot success", Better.NEITHER, stored=False),
)
BY_NAME = {metric.name: metric for metric in METRICS}
TOKEN_METRICS = tuple(m.name for m in METRICS if m.unit == "tokens")
