"""Criteria tools read the benchmark's configuration, never the agent's.

A ``python -m mypy .`` criterion passes after the agent adds a ``mypy.ini`` with
``ignore_errors = True``; a linter reads a ``.flake8`` that ignores everything. So while
commands and linters grade, the tool configuration files at the workspace's root are the
boilerplate's (or absent, where it has none). The agent's versions are moved aside by
rename, which follows no link and reads nothing, and moved back afterwards: the workspace
is kept as the agent left it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..sandbox.untrusted import DIRECTORY_FLAGS
from .put_back import put_back, remove

CONFIG_FILES = ("mypy.ini", ".mypy.ini", "setup.cfg", "tox.ini", "pyproject.toml",
                ".ruff.toml", "ruff.toml", ".flake8", ".pylintrc", "pylintrc", "pytest.ini",
                "conftest.py")
"""Where Python's checkers and pytest look for their settings at a project's root."""


@contextlib.contextmanager
def benchmark_config(workspace: Path, aside: Path, boilerplate: Path | None) -> Iterator[None]:
    """Inside: the workspace's root holds ``boilerplate``'s config files and no others.
    ``aside`` (a new folder beside the workspace) keeps the agent's until the end."""
    aside.mkdir(parents=True)
    moved = _move(workspace, aside, CONFIG_FILES)
    try:
        if boilerplate is not None:
            put_back(workspace, boilerplate,
                     [name for name in CONFIG_FILES if os.path.lexists(boilerplate / name)])
        yield
    finally:
        remove(workspace, CONFIG_FILES)
        _move(aside, workspace, moved)


def _move(source: Path, target: Path, names: Iterable[str]) -> list[str]:
    """Rename each of ``names`` present in ``source`` into ``target``; the names moved."""
    moved = []
    from_fd = os.open(source, DIRECTORY_FLAGS)
    try:
        to_fd = os.open(target, DIRECTORY_FLAGS)
        try:
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    os.rename(name, name, src_dir_fd=from_fd, dst_dir_fd=to_fd)
                    moved.append(name)
        finally:
            os.close(to_fd)
    finally:
        os.close(from_fd)
    return moved
