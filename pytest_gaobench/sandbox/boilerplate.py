"""Put a benchmark's starting project into the workspace: a local copy or a git clone.

Every failure here is a ``BoilerplateError``: an infra problem, never counted as the
agent's, with a message that says what to fix.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

from ..model.run_metadata import BoilerplateInfo
from ..model.spec import BenchmarkConfig

IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc", ".gaobench")
DEFAULT_MAX_BYTES = 512 * 2**20
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[^/]+@[^/]+:")


class BoilerplateError(RuntimeError):
    """The boilerplate could not be copied or cloned."""


class BoilerplateManager:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def prepare(self, config: BenchmarkConfig, workspace: Path) -> BoilerplateInfo:
        if config.boilerplate_dir is not None:
            return self.copy_local(config.boilerplate_dir, workspace)
        assert config.boilerplate_url is not None  # the spec guarantees one source
        return self.clone(resolve_url(config.boilerplate_url, config.base_dir), workspace,
                          config.boilerplate_ref)

    def copy_local(self, source: Path, workspace: Path) -> BoilerplateInfo:
        if not source.is_dir():
            raise BoilerplateError(f"boilerplate folder {source} does not exist")
        survey_boilerplate(source, self.max_bytes)
        try:
            shutil.copytree(source, workspace, symlinks=True, ignore=IGNORED,
                            dirs_exist_ok=True)
        except (OSError, shutil.Error) as exc:
            # Free what was copied: on a full disk the result files still need the room.
            shutil.rmtree(workspace, ignore_errors=True)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise BoilerplateError(f"cannot copy boilerplate {source}: {reason}") from exc
        return BoilerplateInfo(source=str(source), kind="local")

    def clone(self, url: str, workspace: Path, ref: str | None) -> BoilerplateInfo:
        git = _import_git()
        try:
            repo = git.Repo.clone_from(url, workspace)
        except git.GitCommandError as exc:
            raise BoilerplateError(f"git could not clone {url}: {_git_reason(exc)}") from exc
        try:
            if ref:
                repo.git.checkout(ref)
            commit = str(repo.head.commit.hexsha)
        except git.GitCommandError as exc:
            raise BoilerplateError(f"git could not check out ref {ref!r} of {url}: "
                                   f"{_git_reason(exc)}") from exc
        finally:
            repo.close()  # GitPython keeps cat-file processes alive until closed
        return BoilerplateInfo(source=url, kind="git", commit=commit)


def _git_reason(exc: Exception) -> str:
    stderr = str(getattr(exc, "stderr", "") or exc)
    lines = [line.strip().removeprefix("stderr: ").strip("'") for line in stderr.splitlines()]
    return "; ".join(line for line in lines if line) or type(exc).__name__


def resolve_url(url: str, base_dir: Path) -> str:
    """URLs stay as they are; a plain path (a shipped repo or bundle) is relative to the YAML."""
    if _URL.match(url):
        return url
    return str((base_dir / url).resolve())


def _import_git() -> Any:
    if shutil.which("git") is None:
        raise BoilerplateError("git is not installed, and this benchmark clones its "
                               "boilerplate: install git (e.g. `apt-get install git`)")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    import git

    return git


def survey_boilerplate(root: Path, max_bytes: int) -> int:
    """Refuse what cannot be copied safely: links leaving the folder, pipes and devices
    (reading a FIFO would block forever), and more data than ``max_bytes``."""
    top = root.resolve()
    total = 0
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                if not path.resolve().is_relative_to(top):
                    raise BoilerplateError(f"boilerplate {root} has a symlink pointing outside "
                                           f"it: {path} -> {os.readlink(path)}")
            elif stat.S_ISREG(info.st_mode):
                total += info.st_size
            elif not stat.S_ISDIR(info.st_mode):
                raise BoilerplateError(f"boilerplate {root} holds {path}, which is not a "
                                       "regular file, folder or link (a pipe, socket or device)")
    if total > max_bytes:
        raise BoilerplateError(f"boilerplate {root} holds {total / 2**20:.0f} MiB, more than "
                               f"the {max_bytes / 2**20:.0f} MiB limit")
    return total
