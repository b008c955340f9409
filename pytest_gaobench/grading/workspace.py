"""Questions about a workspace, asked by the harness: matching files, tests, commits.

Answers come from the files themselves (source parsed, git asked), never from anything
the agent printed.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import shutil
import subprocess
from pathlib import Path

GIT_QUERY_SECONDS = 60.0
"""How long one question to git about the workspace may take."""


def matching_files(workspace: Path, pattern: str) -> list[Path]:
    """Files under the workspace matching a glob; links leading out of it do not count."""
    top = workspace.resolve()
    return sorted(p for p in workspace.glob(pattern)
                  if p.is_file() and p.resolve().is_relative_to(top))


NOT_SEARCHED = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
                "{arch}", "__pycache__", "site-packages")
"""Folders never searched for tests: pytest's default norecursedirs, and what is installed."""


def _searched(folder: Path) -> bool:
    return (not any(fnmatch.fnmatch(folder.name, pattern) for pattern in NOT_SEARCHED)
            and not (folder / "pyvenv.cfg").is_file())  # a virtualenv of any name


def count_test_functions(workspace: Path) -> int:
    """Python test functions (def test_*) in test_*.py / *_test.py files, counted from
    source; environments and vendored folders are skipped as pytest skips them."""
    total = 0
    for folder, dirs, files in os.walk(workspace):
        dirs[:] = [d for d in dirs if _searched(Path(folder, d))]
        for name in files:
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                total += _test_functions_in(Path(folder, name))
    return total


def _test_functions_in(path: Path) -> int:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return 0
    return sum(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
               and node.name.startswith("test") for node in ast.walk(tree))


def count_new_commits(workspace: Path, start: str | None) -> int | None:
    """Commits on HEAD since the boilerplate's commit; None when the workspace is no repo."""
    if not (workspace / ".git").exists() or shutil.which("git") is None:
        return None
    span = f"{start}..HEAD" if start else "HEAD"
    done = subprocess.run(["git", "-C", str(workspace), "rev-list", "--count", span],
                          capture_output=True, text=True, timeout=GIT_QUERY_SECONDS, check=False)
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip().isdigit() else None
