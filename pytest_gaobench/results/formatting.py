"""Numbers as people read them, one way everywhere: terminal, compare, HTML."""

from __future__ import annotations

from collections.abc import Sequence

from ..model.registry import BY_NAME

MISSING = "-"


def format_value(value: float | None, unit: str) -> str:
    """A metric's value with its unit: 12.3s, $0.0123, 81.5%, 12,345 tokens; '-' if absent."""
    if value is None:
        return MISSING
    if unit == "s":
        return f"{value:.1f}s"
    if unit == "usd":
        return f"${value:.4f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "tokens" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:g}"


def format_metric(name: str, value: float | None) -> str:
    metric = BY_NAME.get(name)
    return format_value(value, metric.unit if metric else "")


def format_delta(delta: float | None, percent: float | None) -> str:
    if delta is None:
        return MISSING
    change = f"{delta:+.4g}"
    return change + (f" ({percent:+.1f}%)" if percent is not None else "")


def table_lines(rows: Sequence[tuple[str, ...]], *, rule: bool = False) -> list[str]:
    """Left-aligned columns, two spaces apart; ``rule`` draws a line under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    if rule:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return lines
