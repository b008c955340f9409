"""Whether a sandboxed command got as far as running: bubblewrap's own failures apart.

bubblewrap reports a mount it cannot make, or a kernel feature it lacks, on the command's
stderr with a non-zero exit, just as the command itself might. The agent must never be
blamed for the first, and must never pass its own failure off as one (printing
"bwrap: ..." is easy). So the first thing run inside, before the command, writes a word
into a pipe only the harness reads: no word, and the sandbox never started.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

WORD = b"started"


@dataclass(frozen=True)
class StartSignal:
    read_end: int
    write_end: int

    @property
    def launcher(self) -> list[str]:
        """What runs the command inside: the word, then the command in its place. (dash
        names no descriptor above 9, so the pipe is opened by its /proc path.)"""
        return ["/bin/sh", "-c", f'printf {WORD.decode()} >/proc/self/fd/{self.write_end} '
                                 f'&& exec "$@"', "gaobench-start"]

    def seen(self) -> bool:
        """Whether the word came (read once the command has ended; the agent may add bytes
        after it, never take it back)."""
        os.set_blocking(self.read_end, False)
        try:
            return os.read(self.read_end, len(WORD)) == WORD
        except BlockingIOError:
            return False


@contextlib.contextmanager
def start_signal(owner: tuple[int, int] | None) -> Iterator[StartSignal]:
    """A pipe for one command; ``owner``: the ids the command runs as, when not ours."""
    read_end, write_end = os.pipe()
    try:
        if owner is not None:
            os.fchown(write_end, *owner)
        yield StartSignal(read_end, write_end)
    finally:
        os.close(read_end)
        os.close(write_end)
