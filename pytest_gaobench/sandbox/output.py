"""Bounding output: what a command or a tool prints is cut in the middle, head and tail kept.

The start says what ran and the end says why it failed; the middle is where megabytes
of progress lines go. One marker format for every cut, so people learn to spot it.
"""

from __future__ import annotations

from pathlib import Path


def cut_marker(amount: int, unit: str) -> str:
    return f"\n[... {amount} {unit} cut by gaobench ...]\n"


def cut_middle(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its head and tail around a marker."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + cut_marker(len(text) - 2 * half, "characters") + text[-half:]


def read_bounded(path: Path, limit: int) -> str:
    """A file's text, or its head and tail (``limit`` bytes in all) around a marker; the
    middle is never read, so a huge output costs no memory."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size <= limit:
            return handle.read().decode("utf-8", errors="replace")
        half = limit // 2
        head = handle.read(half)
        handle.seek(size - half)
        tail = handle.read()
    return (head.decode("utf-8", errors="replace") + cut_marker(size - len(head) - len(tail),
                                                                "bytes")
            + tail.decode("utf-8", errors="replace"))


def last_lines(text: str, lines: int, max_chars: int) -> str:
    """The last ``lines`` lines, where a failure's reason usually is; bounded even when the
    output is one enormous line."""
    end = "\n".join(text.strip().splitlines()[-lines:])
    return end if len(end) <= max_chars else "[...]" + end[-max_chars:]
