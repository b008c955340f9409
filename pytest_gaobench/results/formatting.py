"""Numbers as people read them, one way everywhere: terminal, compare, HTML."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model.registry import BY_NAME

MISSING = "-"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text for a terminal: control characters (an agent's ANSI colours, an OSC 52
    clipboard write, a bidi override) shown as escapes such as ``\\x1b``, never sent raw;
    newlines and tabs stay."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}"
                        if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}",
                        text)


def format_value(value: float | None, unit: str) -> str:
    """A metric's value with its unit: 12.34s, $1.25, $0.0123, 81.5%, 12,345 tokens;
    '-' only when it was not measured (a measured 0 is 0)."""
    if value is None:
        return MISSING
    if unit == "s":
        return format_seconds(value)
    if unit == "usd":
        return format_usd(value)
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "tokens" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:g}"


def format_seconds(value: float) -> str:
    """Two decimals; minutes past a minute (1m05.20s), rounded before it is split, so
    119.999 s is 2m00.00s, never 1m60.00s."""
    hundredths = round(value * 100)
    if hundredths < 6000:
        return f"{hundredths / 100:.2f}s"
    minutes, rest = divmod(hundredths, 6000)
    return f"{minutes}m{rest / 100:05.2f}s"


def format_usd(value: float) -> str:
    """Rounded to what matters: cents from ten cents up, four decimals below, $0 for 0."""
    if value == 0:
        return "$0"
    return f"${value:.2f}" if abs(value) >= 0.1 else f"${value:.4f}"


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
