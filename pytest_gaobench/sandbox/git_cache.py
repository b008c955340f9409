"""A local mirror per git URL, so a repeat run of the same boilerplate does not clone again.

Mirrors live under ``<gaobench dir>/cache/git/`` (beside the runs, so they go where the
user's results go, are removed with them, and need no user-level location that CI may
not keep). A clone is then a local clone of the mirror, which hard-links its objects: fast
and offline. The mirror is fetched only when the ref asked for is not in it. A lock file
per mirror (flock) makes pytest-xdist workers and parallel sessions wait for each other.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .file_lock import held


class GitCacheError(RuntimeError):
    """git could not mirror or fetch the URL."""


class GitCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def mirror_of(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()[:20]
        return self.root / f"{digest}.git"

    @contextlib.contextmanager
    def locked(self, url: str) -> Iterator[Path]:
        """The URL's mirror, held for this process until the block ends."""
        mirror = self.mirror_of(url)
        with held(mirror.with_suffix(".lock")):
            yield mirror

    def ensure(self, url: str, ref: str | None, mirror: Path) -> None:
        """A mirror of ``url`` that holds ``ref`` (HEAD when None): made or fetched as needed."""
        if not mirror.exists():
            _git(["clone", "--mirror", "--quiet", url, str(mirror)], f"clone {url}")
            return
        if ref is None or not _has_ref(mirror, ref):
            _git(["-C", str(mirror), "fetch", "--prune", "--quiet", "origin"], f"fetch {url}")


def _has_ref(mirror: Path, ref: str) -> bool:
    found = subprocess.run(["git", "-C", str(mirror), "rev-parse", "--verify", "--quiet",
                            f"{ref}^{{commit}}"], capture_output=True, text=True, check=False)
    return found.returncode == 0


def _git(args: list[str], what: str) -> None:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if done.returncode != 0:
        raise GitCacheError(f"git could not {what}: {done.stderr.strip() or done.returncode}")
