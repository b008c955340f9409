"""One lock file held across processes (flock): pytest-xdist workers and parallel
sessions wait for the one that builds a shared thing (a git mirror, an environment, an
image) and then reuse it. The kernel drops the lock when its holder dies."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def held(lock_file: Path) -> Iterator[None]:
    """``lock_file`` (made with its folder when missing), held until the block ends."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
