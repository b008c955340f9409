"""Bounding output: what a command or a tool prints is cut in the middle, head and tail kept.

The start says what ran and the end says why it failed; the middle is where megabytes
of progress lines go. One marker format for every cut, so people learn to spot it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, BinaryIO, TextIO


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


KEPT_HEAD = 256 * 1024
KEPT_TAIL = 16 * 1024 * 1024
"""What is kept of an agent's output file: its start (an init line says what ran) and its
end (the result line, why it failed); the middle is cut with the usual marker."""
LINE_CHUNK = 1024 * 1024


def keep_output(path: Path, clean: Callable[[str], str], *, head: int = KEPT_HEAD,
                tail: int = KEPT_TAIL) -> int:
    """Rewrite an agent's output file (written through a descriptor the harness held) to
    at most ``head`` + ``tail`` bytes around a marker noting what was cut, each line passed
    through ``clean`` (redaction) on the way; read a line at a time, so a huge output costs
    no memory. Returns the size the agent wrote."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    kept = path.with_name(path.name + ".kept")
    with path.open("rb") as source, kept.open("w", encoding="utf-8") as target:
        if size <= head + tail:
            _copy_lines(source, target, clean, size)
        else:
            _copy_lines(source, target, clean, head)
            start = size - tail
            source.seek(start)
            source.readline(LINE_CHUNK)  # from the next whole line on
            target.write(cut_marker(source.tell() - head, "bytes").lstrip("\n"))
            _copy_lines(source, target, clean, size)
    os.replace(kept, path)
    return size


def _copy_lines(source: BinaryIO, target: TextIO, clean: Callable[[str], str],
                until: int) -> None:
    while source.tell() < until:
        line = source.readline(min(LINE_CHUNK, until - source.tell()))
        if not line:
            return
        target.write(clean(line.decode("utf-8", errors="replace")))


def drain_bounded(stream: IO[bytes], path: Path, limit: int = 256 * 1024
                  ) -> threading.Thread:
    """Read ``stream`` to its end in a thread, writing its first ``limit`` bytes to
    ``path`` (a file the harness opens, outside what the sandbox shows) and dropping the
    rest, so a process that prints without end neither blocks nor fills the disk."""
    def drain() -> None:
        written = 0
        with path.open("wb") as log:
            for chunk in iter(lambda: stream.read(65536), b""):
                if written < limit:
                    log.write(chunk[:limit - written])
                    written += len(chunk[:limit - written])
                    if written >= limit:
                        log.write(b"\n[... the rest was not kept]\n")
        stream.close()

    thread = threading.Thread(target=drain, daemon=True, name="gaobench-drain")
    thread.start()
    return thread
