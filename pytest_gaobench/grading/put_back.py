"""Put files of the workspace back as a trusted tree has them, before grading runs.

The workspace is the agent's: where a file should be, it may have left a link (to a
harness file, to ``/dev/zero``), a folder, a FIFO, or a link among the folders on the way.
So every step here goes through folder descriptors opened without following links, and
whatever is in the way is removed (links themselves, never their targets) before the
trusted copy is written; nothing of the workspace is read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from ..sandbox.untrusted import DIRECTORY_FLAGS, UntrustedFileError, read_regular

FILE_LIMIT = 64 * 1024 * 1024
"""The largest file put back (test files and configuration are far smaller)."""


class PutBackError(OSError):
    """A file could not be put back (the agent made its folder unwritable, say)."""


def put_back(workspace: Path, source: Path, paths: Iterable[str]) -> None:
    """Make each of ``paths`` (relative, '/'-separated) in ``workspace`` what it is in
    ``source``: a copy of its regular file or link, or nothing where ``source`` has none."""
    for relative in sorted(set(paths)):
        _put(workspace, relative, source)


def remove(workspace: Path, paths: Iterable[str]) -> None:
    """Remove each of ``paths`` from the workspace, without following any link."""
    for relative in sorted(set(paths)):
        _put(workspace, relative, None)


def _put(workspace: Path, relative: str, source: Path | None) -> None:
    """``relative`` made as ``source`` has it; with no ``source``, removed."""
    parts = _parts(relative)
    origin = source.joinpath(*parts) if source is not None else None
    try:
        info = os.lstat(origin) if origin is not None else None
    except FileNotFoundError:
        info = None
    try:
        _put_parts(workspace, parts, origin, info)
    except OSError as exc:
        raise PutBackError(exc.errno, f"{relative}: {exc.strerror or exc}") from None


def _put_parts(workspace: Path, parts: list[str], origin: Path | None,
               info: os.stat_result | None) -> None:
    with _folder(workspace, parts[:-1], create=info is not None) as folder:
        if folder is None:  # a folder on the way is not there: nothing to remove
            return
        name = parts[-1]
        _clear(folder, name)
        if info is None or origin is None:
            return
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(origin), name, dir_fd=folder)
        elif stat.S_ISREG(info.st_mode):
            data = read_regular(origin.parent, origin.name, FILE_LIMIT)
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, stat.S_IMODE(info.st_mode), dir_fd=folder)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        else:
            raise UntrustedFileError(f"{origin}: not a regular file or link")


def _clear(folder: int, name: str) -> None:
    """Remove whatever is at ``name`` in ``folder``: a link, a file, a FIFO, a whole tree."""
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=folder)  # fd-based: never follows a link inside
    else:
        os.unlink(name, dir_fd=folder)


@contextlib.contextmanager
def _folder(top: Path, parts: list[str], *, create: bool) -> Iterator[int | None]:
    """A descriptor of ``top/parts``; with ``create``, a name on the way that is not a
    folder reached without links (a link, a file) is replaced by a new folder."""
    fd = os.open(top, DIRECTORY_FLAGS)
    try:
        for part in parts:
            try:
                inner = os.open(part, DIRECTORY_FLAGS, dir_fd=fd)
            except OSError:
                if not create:
                    yield None
                    return
                _clear(fd, part)
                os.mkdir(part, 0o777, dir_fd=fd)
                inner = os.open(part, DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _parts(relative: str) -> list[str]:
    path = PurePosixPath(relative)
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts or path.is_absolute() or ".." in parts:
        raise PutBackError(f"{relative!r}: not a path inside the workspace")
    return parts
