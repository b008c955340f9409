"""The workspace's files for ``list_files`` and ``grep``: a glob matched while walking.

One ``os.scandir`` walk matches the pattern a segment at a time, so ``*.py`` reads one
folder and ``src/**/*.py`` only ``src``; it never enters ``.git`` (a cloned boilerplate's
history is thousands of files no agent asked for), and it resolves only symbolic links,
following one only when its target is inside the workspace: the agent's own links can
neither list nor grep a file outside it. Agents list files nearly every turn, so this
walk is part of the harness's per-turn cost; it reads each folder once and stats nothing
that ``scandir`` already told it.

Semantics are pathlib's: ``*``, ``?`` and ``[...]`` match within one name (hidden files
included, case-sensitive), ``**`` matches any number of folders and, like pathlib's,
does not descend into linked folders; a pattern ending in ``**`` lists the files below.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path

ANY_DEPTH = "**"
SKIPPED = ".git"


class PatternError(ValueError):
    """A pattern that would leave the workspace, or says nothing."""


def find_files(top: Path, pattern: str) -> list[str]:
    """The relative POSIX paths of the files below ``top`` that match ``pattern``, sorted."""
    root = os.path.realpath(top)
    return sorted(set(_matches(root, root, "", _segments(pattern))))


def _segments(pattern: str) -> tuple[re.Pattern[str] | str, ...]:
    if pattern.startswith("/"):
        raise PatternError(f"{pattern}: refused, patterns stay inside the project folder")
    parts = [part for part in pattern.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PatternError(f"{pattern}: refused, patterns stay inside the project folder")
    if not parts:
        raise PatternError("the pattern is empty")
    if parts[-1] == ANY_DEPTH:
        parts.append("*")
    collapsed = [part for n, part in enumerate(parts)
                 if not (part == ANY_DEPTH and n and parts[n - 1] == ANY_DEPTH)]
    return tuple(part if part == ANY_DEPTH else re.compile(fnmatch.translate(part))
                 for part in collapsed)


def _matches(root: str, folder: str, relative: str,
             rest: tuple[re.Pattern[str] | str, ...]) -> Iterator[str]:
    try:
        with os.scandir(folder) as scan:
            entries = [entry for entry in scan if entry.name != SKIPPED]
    except OSError:  # gone, unreadable, or not a folder: nothing matches below it
        return
    yield from _matches_among(root, entries, relative, rest)


def _matches_among(root: str, entries: list[os.DirEntry[str]], relative: str,
                   rest: tuple[re.Pattern[str] | str, ...]) -> Iterator[str]:
    """The matches of ``rest`` starting in the folder whose entries are given."""
    head, tail = rest[0], rest[1:]
    if head == ANY_DEPTH:  # zero folders deep here, or one more below
        yield from _matches_among(root, entries, relative, tail)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _matches(root, entry.path, relative + entry.name + "/", rest)
        return
    assert isinstance(head, re.Pattern)
    for entry in entries:
        if not head.match(entry.name):
            continue
        if entry.is_symlink() and not _inside(root, entry.path):
            continue
        if not tail:
            if entry.is_file():
                yield relative + entry.name
        elif entry.is_dir():
            yield from _matches(root, entry.path, relative + entry.name + "/", tail)


def _inside(root: str, path: str) -> bool:
    target = os.path.realpath(path)
    return target == root or target.startswith(root + os.sep)
