"""Questions about a workspace, asked by the harness: matching files, tests, commits.

Answers come from the files themselves (source parsed, git asked), never from anything
the agent printed, and the workspace is read as the hostile data it is: the walk follows
no link out of it, reads regular files only and each with a bound, and git runs inside
the sandbox with the harness's own configuration, never as the harness.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import shutil
import stat
from pathlib import Path

from ..sandbox.file_search import PatternError, find_files
from ..sandbox.sandbox import Sandbox
from ..sandbox.untrusted import read_regular_text, regular_files

GIT_QUERY_SECONDS = 60.0
"""How long one question to git about the workspace may take."""
TEST_FILE_LIMIT = 1024 * 1024
"""A test file larger than this is not read (and its tests are not counted)."""


def matching_files(workspace: Path, pattern: str) -> list[str]:
    """Files under the workspace matching a glob (relative paths); links leading out of it
    do not count, and neither do FIFOs, devices or folders."""
    try:
        return find_files(workspace, pattern)
    except PatternError:
        return []


NOT_SEARCHED = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
                "{arch}", "__pycache__", "site-packages")
"""Folders never searched for tests: pytest's default norecursedirs, and what is installed."""


def searched_folder(folder: os.DirEntry[str]) -> bool:
    """Whether pytest (and the test count) would look for tests in ``folder``."""
    if any(fnmatch.fnmatch(folder.name, pattern) for pattern in NOT_SEARCHED):
        return False
    try:  # a virtualenv of any name; lstat, so a link named pyvenv.cfg is not followed
        return not stat.S_ISREG(os.lstat(os.path.join(folder.path, "pyvenv.cfg")).st_mode)
    except OSError:
        return True


def count_test_functions(workspace: Path) -> int:
    """Python test functions (def test_*) in test_*.py / *_test.py files, counted from
    source; environments and vendored folders are skipped as pytest skips them. Only
    regular files up to TEST_FILE_LIMIT are read; what cannot be parsed counts nothing."""
    total = 0
    for relative, size in regular_files(workspace, enter=searched_folder):
        name = relative.rpartition("/")[2]
        if (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
                and size <= TEST_FILE_LIMIT):
            total += _test_functions_in(workspace, relative)
    return total


def _test_functions_in(workspace: Path, relative: str) -> int:
    try:
        tree = ast.parse(read_regular_text(workspace, relative, TEST_FILE_LIMIT))
    except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
        # The agent's file: unreadable or unparseable source has no tests in it.
        return 0
    return sum(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
               and node.name.startswith("test") for node in ast.walk(tree))


GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1", "GIT_PROTOCOL_FROM_USER": "0",
    "GIT_ALLOW_PROTOCOL": "none", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_PAGER": "cat",
}
"""No system or user configuration, no locks taken, no prompts, no fetches."""
GIT_CONFIG = ("core.fsmonitor=false", "core.hooksPath=/dev/null", "core.sshCommand=false",
              "core.pager=cat", "core.askPass=false", "credential.helper=",
              "protocol.allow=never", "core.untrackedCache=false", "safe.directory=*",
              "diff.external=", "core.alternateRefsCommand=false")
"""Overrides of what an agent-made repository's own config could make git run: the
command line's ``-c`` wins over the repository's config."""


def git_argv(*args: str) -> list[str]:
    """``git ARGS`` with the harness's configuration, for a repository the agent made."""
    config = [item for setting in GIT_CONFIG for item in ("-c", setting)]
    return ["git", "--no-pager", *config, *args]


def count_new_commits(sandbox: Sandbox, start: str | None) -> int | None:
    """Commits on HEAD since the boilerplate's commit; None when the workspace is no repo.
    git runs in the sandbox (no network, the agent's privileges) with GIT_CONFIG and
    GIT_ENV, so the repository's hooks, fsmonitor, ssh command or pager never run."""
    workspace = sandbox.workspace
    if not (workspace / ".git").exists() or shutil.which("git") is None:
        return None
    if start is not None and not re.fullmatch(r"[0-9a-f]{4,64}", start):
        return None
    span = f"{start}..HEAD" if start else "HEAD"
    done = sandbox.run(git_argv("rev-list", "--count", span, "--"), timeout=GIT_QUERY_SECONDS,
                       env=GIT_ENV, network=False, output_limit=1024,
                       display=f"git rev-list --count {span}")
    text = done.stdout.strip()
    return int(text) if done.ok and text.isdigit() else None
