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


def save_checkpoint(run_dir: Path, workspace: Path, index: int, phase: str) -> Checkpoint:
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


def restore_checkpoint(archive: Path, workspace: Path) -> None:
    """Unpack into an empty workspace; members leaving it are refused (tarfile's data filter)."""
    workspace.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(workspace, filter="data")
