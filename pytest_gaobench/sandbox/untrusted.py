"""Reading and writing what the agent made, from outside the sandbox.

Everything in the workspace (and in any folder a sandboxed process could write) is
hostile data: a name may be a symbolic link to a harness file, a FIFO that blocks an
``open``, a link to ``/dev/zero``, or a sparse file of gigabytes. So the harness opens
such a file only through here: every folder on the way and the file itself are opened
without following links (``O_NOFOLLOW`` one component at a time, relative to a folder
the harness trusts), the open never blocks (``O_NONBLOCK``), anything but a regular file
is refused, and a read stops at a bound.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class UntrustedFileError(OSError):
    """A name that is not a regular file reached without links, or over its bound."""


def _parts(root: Path, path: Path | str) -> list[str]:
    relative = PurePosixPath(os.path.relpath(path, root)) if Path(path).is_absolute() \
        else PurePosixPath(path)
    parts = [part for part in relative.parts if part not in ("", ".")]
    if not parts or ".." in parts or relative.is_absolute():
        raise UntrustedFileError(f"{path}: not a file inside {root}")
    return parts


@contextlib.contextmanager
def _folder_of(root: Path, parts: list[str], *, create: bool = False) -> Iterator[int]:
    """A descriptor of the folder holding ``parts[-1]``, every step taken without links."""
    fd = os.open(root, DIRECTORY_FLAGS)
    try:
        for part in parts[:-1]:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
            try:
                inner = os.open(part, DIRECTORY_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                raise
            except OSError as exc:
                raise UntrustedFileError(exc.errno, f"{part}: not a folder reached without "
                                         f"links ({exc.strerror})") from None
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def open_regular(root: Path, path: Path | str) -> int:
    """A read descriptor of the regular file ``path`` (relative to ``root``, or absolute
    below it); UntrustedFileError for a link, FIFO, device, socket or folder anywhere on the
    way, FileNotFoundError when it is not there."""
    parts = _parts(root, path)
    with _folder_of(root, parts) as folder:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | FILE_FLAGS, dir_fd=folder)
        except FileNotFoundError:
            raise
        except OSError as exc:  # ELOOP: the name is a link
            raise UntrustedFileError(exc.errno, f"{path}: refused ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UntrustedFileError(f"{path}: refused, not a regular file")
    return fd


def read_regular(root: Path, path: Path | str, limit: int) -> bytes:
    """The whole file, which must be a regular file of at most ``limit`` bytes."""
    fd = open_regular(root, path)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise UntrustedFileError(f"{path}: {size} bytes, over the limit of {limit}")
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while read
        raise UntrustedFileError(f"{path}: over the limit of {limit} bytes")
    return data


def read_regular_text(root: Path, path: Path | str, limit: int) -> str:
    return read_regular(root, path, limit).decode("utf-8", errors="replace")


def write_regular(root: Path, path: Path | str, data: bytes) -> None:
    """Create or replace the regular file ``path`` below ``root``, making folders on the
    way, never writing through a link or into a FIFO or device."""
    parts = _parts(root, path)
    with _folder_of(root, parts, create=True) as folder:
        try:
            fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | FILE_FLAGS, 0o666,
                         dir_fd=folder)
        except OSError as exc:
            raise UntrustedFileError(exc.errno, f"{path}: refused ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UntrustedFileError(f"{path}: refused, not a regular file")
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def make_folder(root: Path, path: Path | str) -> None:
    """Create the folder ``path`` below ``root`` (and the folders on the way), never
    through a link."""
    parts = _parts(root, path)
    with _folder_of(root, [*parts, "."], create=True):
        pass  # every part made and entered without links: the last one too


def regular_files(top: Path, *, enter: Callable[[os.DirEntry[str]], bool] = lambda _: True
                  ) -> Iterator[tuple[str, int]]:
    """(relative path, size) of every regular file below ``top``, never entering a linked
    folder nor naming a link, a FIFO or a device; a folder for which ``enter`` says False
    is left out."""
    for relative, info in entries_below(top, enter=enter):
        if stat.S_ISREG(info.st_mode):
            yield relative, info.st_size


def entries_below(top: Path, *, enter: Callable[[os.DirEntry[str]], bool] = lambda _: True
                  ) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of every name below ``top`` (files, links, FIFOs, folders),
    entering no linked folder, nor a folder for which ``enter`` says False."""
    pending = [("", str(top))]
    while pending:
        relative, folder = pending.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            yield relative + entry.name, info
            if stat.S_ISDIR(info.st_mode) and enter(entry):
                pending.append((relative + entry.name + "/", entry.path))
