"""Checkpoints: the workspace archived after each completed phase, so a run can resume.

An archive rather than a git commit: the workspace may itself be a git repository
whose history is part of the agent's work, and an archive keeps it exactly. Archives
live in the run directory, outside the workspace, so removing the workspace after an
interrupted run loses nothing a resume needs.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path

from ..model.run_metadata import Checkpoint
from ..sandbox.untrusted import regular_files

CHECKPOINT_LIMIT = 2 * 1024**3
"""The largest workspace archived after a phase, counted in the files' full sizes."""


class CheckpointTooLarge(RuntimeError):
    """The workspace is over the checkpoint cap: the agent's failure, said plainly."""


def workspace_size(workspace: Path, limit: int) -> int:
    """The regular files' total size (a sparse file at its full size), counted from lstat
    alone and stopped once over ``limit``: nothing is read and no link followed."""
    total = 0
    for _, size in regular_files(workspace):
        total += size
        if total > limit:
            break
    return total


def save_checkpoint(run_dir: Path, workspace: Path, index: int, phase: str,
                    limit: int = CHECKPOINT_LIMIT) -> Checkpoint:
    """Archive the workspace; CheckpointTooLarge before any work when its files add up to
    more than ``limit`` bytes (a 4 GB sparse file would otherwise take minutes to pack)."""
    size = workspace_size(workspace, limit)
    if size > limit:
        raise CheckpointTooLarge(
            f"the workspace holds more than {limit / 1024**2:.0f} MiB of files after phase "
            f"{phase!r} (sparse files count at their full size), over the checkpoint cap")
    folder = run_dir / "checkpoints"
    folder.mkdir(exist_ok=True)
    target = folder / f"{index:02d}-{phase}.tar.gz"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    try:
        with tarfile.open(tmp, "w:gz") as archive:
            archive.add(workspace, arcname=".")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Checkpoint(phase_index=index, phase=phase, archive=str(target.relative_to(run_dir)))


class CheckpointError(RuntimeError):
    """A checkpoint holds an entry that would land outside the workspace."""


def restore_checkpoint(archive: Path, workspace: Path) -> None:
    """Unpack into an empty workspace: anything the agent could make inside it comes back
    (a virtualenv's absolute symlinks to the interpreter included), while an entry that
    would be written outside it (``..``, an absolute name, a write through a link, a hard
    link to an outside file, a device) is refused."""
    workspace.mkdir(parents=True, exist_ok=True)
    top = workspace.resolve()

    def inside_only(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo:
        if member.isdev():
            raise CheckpointError(f"checkpoint entry {member.name!r} is a device or pipe")
        if member.islnk():
            target = Path(os.path.realpath(top / member.linkname))
            if not target.is_relative_to(top):
                raise CheckpointError(f"checkpoint entry {member.name!r} is a hard link to "
                                      f"{member.linkname!r}, outside the workspace")
        # tar_filter refuses absolute names and names that resolve outside (through a link
        # unpacked before); unlike data_filter it lets a symlink point anywhere, which
        # writes nothing outside by itself.
        try:
            return tarfile.tar_filter(member, destination)
        except tarfile.FilterError as exc:
            raise CheckpointError(f"checkpoint entry {member.name!r} refused: {exc}") from exc

    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(top, filter=inside_only)
