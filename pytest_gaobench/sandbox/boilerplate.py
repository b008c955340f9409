"""Put a benchmark's starting project into the workspace: a local copy or a git clone.

Every failure here is a ``BoilerplateError``: an infra problem, never counted as the
agent's, with a message that says what to fix.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

from ..model.run_metadata import BoilerplateInfo
from ..model.spec import BenchmarkConfig
from .git_cache import GitCache, GitCacheError

DEFAULT_MAX_BYTES = 512 * 2**20
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[^/]+@[^/]+:")


class BoilerplateError(RuntimeError):
    """The boilerplate could not be copied or cloned."""


class BoilerplateManager:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES,
                 git_cache: GitCache | None = None) -> None:
        self.max_bytes = max_bytes
        self.git_cache = git_cache

    def prepare(self, config: BenchmarkConfig, workspace: Path) -> BoilerplateInfo:
        if config.boilerplate_dir is not None:
            return self.copy_local(config.boilerplate_dir, workspace)
        container = config.container
        if config.boilerplate_url is None and container is not None:
            # The image's working folder is the start: copied in with the container.
            return BoilerplateInfo(source=container.image or str(container.dockerfile),
                                   kind="image")
        assert config.boilerplate_url is not None  # the spec guarantees one source
        return self.clone(resolve_url(config.boilerplate_url, config.base_dir), workspace,
                          config.boilerplate_ref)

    def copy_local(self, source: Path, workspace: Path) -> BoilerplateInfo:
        if not source.is_dir():
            raise BoilerplateError(f"boilerplate folder {source} does not exist")
        try:
            TreeCopy(source, self.max_bytes).into(workspace)
        except (OSError, BoilerplateError) as exc:
            # Free what was copied: on a full disk the result files still need the room.
            shutil.rmtree(workspace, ignore_errors=True)
            if isinstance(exc, BoilerplateError):
                raise
            raise BoilerplateError(f"cannot copy boilerplate {source}: "
                                   f"{exc.strerror or exc}") from exc
        return BoilerplateInfo(source=str(source), kind="local")

    def clone(self, url: str, workspace: Path, ref: str | None) -> BoilerplateInfo:
        """A git clone at ``ref``; through the local mirror of the URL when there is a
        cache (a repeat run then copies hard links instead of cloning again)."""
        git = _import_git()
        # With a ref, the clone writes no working tree: the checkout of the ref writes it
        # once, instead of the default branch's files being written and then replaced.
        options = {"no_checkout": True} if ref else {}
        try:
            if self.git_cache is None:
                repo = git.Repo.clone_from(url, workspace, **options)
            else:
                with self.git_cache.locked(url) as mirror:
                    self.git_cache.ensure(url, ref, mirror)
                    repo = git.Repo.clone_from(str(mirror), workspace, **options)
                repo.git.remote("set-url", "origin", url)
        except GitCacheError as exc:
            raise BoilerplateError(str(exc)) from exc
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


IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".gaobench"})


class TreeCopy:
    """Checks a boilerplate, then copies it: links leaving the folder, pipes and devices
    (reading a FIFO would block forever) and more than ``max_bytes`` of data are refused
    before anything is copied. The check is one pass of ``lstat``s; the copy is GNU
    ``cp -a`` where it is installed (C, reflinks where the file system can), else this
    class's own copy (copy_file_range by the kernel, modes kept). Caches (__pycache__,
    .pyc, .gaobench) are left out either way."""

    def __init__(self, source: Path, max_bytes: int) -> None:
        self.source = source
        self.top = source.resolve()
        self.max_bytes = max_bytes
        self.total = 0
        self.has_ignored = False

    def into(self, target: Path) -> None:
        self._folder(str(self.source), None)  # check everything first
        if not self.has_ignored and _cp_copies(self.source, target):
            return
        self._folder(str(self.source), str(target))

    def _folder(self, source: str, target: str | None) -> None:
        """Check (``target`` None) or check and copy one folder, recursively."""
        if target is not None:
            os.makedirs(target, exist_ok=True)
        with os.scandir(source) as entries:
            for entry in entries:
                if entry.name in IGNORED_NAMES or entry.name.endswith(".pyc"):
                    self.has_ignored = True
                    continue
                if target is None:
                    self._check(entry)
                    if entry.is_dir(follow_symlinks=False):
                        self._folder(entry.path, None)
                    continue
                destination = os.path.join(target, entry.name)
                if entry.is_symlink():  # (checked: it stays inside)
                    os.symlink(os.readlink(entry.path), destination)
                elif entry.is_dir(follow_symlinks=False):
                    self._folder(entry.path, destination)
                else:
                    _copy_file(entry.path, destination, entry.stat(follow_symlinks=False))

    def _check(self, entry: os.DirEntry[str]) -> None:
        if entry.is_symlink():
            if not Path(entry.path).resolve().is_relative_to(self.top):
                raise BoilerplateError(f"boilerplate {self.source} has a symlink pointing "
                                       f"outside it: {entry.path} -> {os.readlink(entry.path)}")
        elif entry.is_file(follow_symlinks=False):
            self.total += entry.stat(follow_symlinks=False).st_size
            if self.total > self.max_bytes:
                raise BoilerplateError(
                    f"boilerplate {self.source} holds {self.total / 2**20:.0f} MiB, more "
                    f"than the {self.max_bytes / 2**20:.0f} MiB limit")
        elif not entry.is_dir(follow_symlinks=False):
            raise BoilerplateError(
                f"boilerplate {self.source} holds {entry.path}, which is not a regular file, "
                "folder or link (a pipe, socket or device)")


def _cp_copies(source: Path, target: Path) -> bool:
    """``cp -a`` of a checked tree; False (nothing copied) where GNU cp is not there."""
    cp = shutil.which("cp")
    if cp is None:
        return False
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([cp, "-a", "--reflink=auto", f"{source}/.", str(target)],
                          capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return True
    if "unrecognized option" in done.stderr or "illegal option" in done.stderr:
        return False  # not GNU cp (BSD, busybox): our own copy does it
    raise BoilerplateError(f"copying boilerplate {source} failed: {done.stderr.strip()}")


def _copy_file(source: str, target: str, info: os.stat_result) -> None:
    """Raw descriptors (no Python file objects: a few syscalls fewer per file)."""
    reader = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        writer = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                         stat.S_IMODE(info.st_mode))
        try:
            left = info.st_size
            try:
                while left > 0:
                    copied = os.copy_file_range(reader, writer, left)
                    if copied == 0:
                        break
                    left -= copied
            except OSError:  # no copy_file_range here (another file system, an old kernel)
                os.lseek(reader, 0, os.SEEK_SET)
                os.ftruncate(writer, 0)
                os.lseek(writer, 0, os.SEEK_SET)
                while chunk := os.read(reader, 1024 * 1024):
                    os.write(writer, chunk)
            os.fchmod(writer, stat.S_IMODE(info.st_mode))  # os.open's mode obeys the umask
        finally:
            os.close(writer)
    finally:
        os.close(reader)
