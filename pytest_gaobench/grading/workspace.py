"""Questions about a workspace, asked by the harness: matching files, tests, commits.

Answers come from the files themselves (source parsed, git asked), never from anything
the agent printed.
"""

from __future__ import annotations

import ast
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


def count_test_functions(workspace: Path) -> int:
    """Python test functions (def test_*) in test_*.py / *_test.py files, counted from source."""
    total = 0
    for path in workspace.rglob("*.py"):
        if ".git" in path.parts or not (path.name.startswith("test_")
                                         or path.name.endswith("_test.py")):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            continue
        total += sum(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     and node.name.startswith("test") for node in ast.walk(tree))
    return total


def count_new_commits(workspace: Path, start: str | None) -> int | None:
    """Commits on HEAD since the boilerplate's commit; None when the workspace is no repo."""
    if not (workspace / ".git").exists() or shutil.which("git") is None:
        return None
    span = f"{start}..HEAD" if start else "HEAD"
    done = subprocess.run(["git", "-C", str(workspace), "rev-list", "--count", span],
                          capture_output=True, text=True, timeout=GIT_QUERY_SECONDS, check=False)
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip().isdigit() else None
