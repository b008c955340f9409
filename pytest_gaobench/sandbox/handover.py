"""The workspace changes hands: the sandbox's user owns it while commands run, and what is
kept of it holds nothing that runs with its owner's rights.

When the harness is root, sandboxed commands run as an unprivileged host user, so the
folders they write (the workspace, a CLI agent's home, a grading folder) are given to that
user first. The tree is the agent's, hostile data: it is walked by descriptors (``fwalk``)
and changed with ``*at`` calls that never follow a link, so swapping a folder for a link
while the walk runs cannot point the harness at a file outside.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

SET_ID_BITS = stat.S_ISUID | stat.S_ISGID


def _entries(top: Path) -> Iterator[tuple[str, int, str]]:
    """(relative path, folder descriptor, name) for ``top``'s contents, links not followed."""
    for folder, dirs, files, fd in os.fwalk(top, follow_symlinks=False):
        relative = os.path.relpath(folder, top)
        for name in (*dirs, *files):
            yield os.path.normpath(os.path.join(relative, name)), fd, name


def hand_over(top: Path, uid: int, gid: int) -> None:
    """Make ``top`` and everything below it belong to ``uid``/``gid`` (links themselves,
    never what they point to)."""
    try:
        info = os.lstat(top)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(top, uid, gid, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        return
    for _, fd, name in _entries(top):
        try:
            entry = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if (entry.st_uid, entry.st_gid) != (uid, gid):
                os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            continue


def strip_set_id(top: Path) -> list[str]:
    """Clear the setuid and setgid bits of every file below ``top`` (a kept workspace, which
    any local user might otherwise run with its owner's rights); the paths it cleared."""
    cleared: list[str] = []
    if not top.is_dir() or top.is_symlink():
        return cleared
    for relative, fd, name in _entries(top):
        try:
            entry = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISREG(entry.st_mode) and entry.st_mode & SET_ID_BITS:
                _clear_set_id(fd, name)
                cleared.append(relative)
        except FileNotFoundError:
            continue
    return cleared


def _clear_set_id(folder: int, name: str) -> None:
    """chmod through a descriptor of the file itself (Linux has no chmod that refuses a
    link), opened without following one and without blocking on a FIFO put in its place."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=folder)
    except PermissionError:  # a file its owner may not read (mode 4000): no process of the
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode  # agent is left
        os.chmod(name, stat.S_IMODE(mode) & ~SET_ID_BITS, dir_fd=folder)
        return
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & ~SET_ID_BITS)
    finally:
        os.close(fd)
