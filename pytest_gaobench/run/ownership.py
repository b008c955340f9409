"""Which process owns a run: a lock held for the run's life, so a dead run can be told
from a live one.

A run whose harness was SIGKILLed (or whose machine died) never writes its final
status: its result.json says ``running``. The owning process holds an exclusive
``flock`` on ``run.lock`` in the run folder until the run ends; the kernel drops it
when the process dies. Another process that can take the lock knows the owner is gone.
A lock taken on another host cannot be tested from here (flock is per machine), so
such a run counts as live.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path

LOCK_FILE = "run.lock"


class RunLock:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and record the owner (pid and host) in the lock file."""
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def owner_is_alive(run_dir: Path) -> bool:
    """Whether the process that ran this run may still be running it."""
    path = run_dir / LOCK_FILE
    try:
        owner = json.loads(path.read_text(encoding="utf-8") or "{}")
        fd = os.open(path, os.O_RDWR)
    except (OSError, ValueError):
        return True  # no owner recorded (an older run): it cannot be told dead
    try:
        if owner.get("host") not in (None, socket.gethostname()):
            return True
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock taken just now
    return False
