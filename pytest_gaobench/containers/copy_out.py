"""What a command left in a writable folder of the container, back on the host.

The folder is the agent's, so its contents are hostile data. The engine streams it as a
tar archive (``cp CONTAINER:PATH -``, made by the engine, not by a ``tar`` the agent
could replace), read up to ``COPY_LIMIT``: a larger folder does not come back at all.
The archive is unpacked into a fresh folder, only its regular files and folders, each
written without following a link (``untrusted.write_regular``); links, devices and FIFOs
stay behind, and so does any name that would leave the folder. Only then does the fresh
folder replace the harness's copy, so no link an earlier phase left can be written
through.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from ..sandbox.untrusted import UntrustedFileError, make_folder, write_regular
from .engine import ContainerError, Engine

COPY_LIMIT = 16 * 1024 * 1024
"""The most of a writable folder copied back out of the container."""
COPY_SECONDS = 120


class CopyTooLarge(ContainerError):
    """What was to be copied out is over ``COPY_LIMIT``: none of it was."""


def copy_out(engine: Engine, container: str, inside: str, folder: Path) -> None:
    """The folder ``inside`` of ``container`` as ``folder`` (replacing what it held); left
    as it was when the engine could not read it (not there). Over ``COPY_LIMIT``,
    ``CopyTooLarge``, and ``folder`` is left as it was."""
    archive = _bounded_archive(engine, container, inside)
    if archive is None:
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gaobench-copy-", dir=folder.parent) as scratch:
        fresh = Path(scratch) / "fresh"
        fresh.mkdir()
        unpack_files(archive, fresh)
        shutil.rmtree(folder, ignore_errors=True)
        fresh.rename(folder)


def _bounded_archive(engine: Engine, container: str, inside: str) -> bytes | None:
    process = subprocess.Popen(engine.argv("cp", f"{container}:{inside}/.", "-"),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        data = process.stdout.read(COPY_LIMIT + 1)
        if len(data) > COPY_LIMIT:
            raise CopyTooLarge(f"{inside} holds more than {COPY_LIMIT // 2**20} MB")
        return data if process.wait(timeout=COPY_SECONDS) == 0 else None
    except subprocess.TimeoutExpired:
        return None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def unpack_files(archive: bytes, destination: Path) -> list[str]:
    """The regular files and folders of ``archive`` written below ``destination``; the
    names left behind (links, special files, names leaving the folder)."""
    left: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            _unpack_members(tar, destination, left)
    except tarfile.TarError as exc:  # cut short or not an archive: what came before stays
        left.append(f"(the rest: {exc})")
    return left


def _unpack_members(tar: tarfile.TarFile, destination: Path, left: list[str]) -> None:
    """Each member of ``tar`` that is a file or folder inside written; the others named
    in ``left``."""
    for member in tar:
        name = PurePosixPath(member.name)
        parts = [part for part in name.parts if part not in ("", ".")]
        if name.is_absolute() or ".." in parts or not (member.isfile() or member.isdir()):
            left.append(member.name)
            continue
        if not parts:
            continue
        try:
            if member.isdir():
                make_folder(destination, "/".join(parts))
            else:
                extracted = tar.extractfile(member)
                data = extracted.read() if extracted is not None else b""
                write_regular(destination, "/".join(parts), data)
                # Nothing but files and folders is made here: no link to follow.
                destination.joinpath(*parts).chmod(0o644 | (member.mode & 0o111))
        except (UntrustedFileError, OSError):
            left.append(member.name)

