"""Lint errors counted at grading, with a configuration the agent cannot write.

``tool: ruff`` is run by the harness: ``--isolated`` (or the benchmark's own config file,
which turns off ruff's search for others), ``--ignore-noqa`` (no suppression comment in
the code counts) and ``--no-respect-gitignore`` (an agent's ``.gitignore`` hides nothing).
A ``run`` command is the author's own linter: it runs with the interpreter's modules kept
the interpreter's, and what it prints counts the errors. Whichever: a linter that fails
(an exit code other than 0 or 1, or 1 with nothing counted) or prints what cannot be read
gives "not measured", never 0.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

from ..model.spec import BenchmarkConfig, LintCommand
from ..sandbox.process import CommandResult
from ..sandbox.sandbox import Sandbox
from .interpreter_first import interpreter_first_env

RUFF_OPTIONS = ("--output-format=json", "--ignore-noqa", "--no-respect-gitignore",
                "--no-cache", "--no-fix")


def count_lint_errors(config: BenchmarkConfig, lint: LintCommand, sandbox: Sandbox,
                      grading_dir: Path) -> tuple[int | None, str]:
    """The number of lint errors, or None and why it was not measured."""
    if lint.tool == "ruff":
        if importlib.util.find_spec("ruff") is None:
            return None, "lint not measured: ruff is not installed (pip install ruff)"
        readable: list[Path] = []
        settings = ["--isolated"]
        if lint.config:
            copy = grading_dir / "lint" / Path(lint.config).name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(config.base_dir / lint.config, copy)
            readable, settings = [copy], [f"--config={copy}"]
        outcome = sandbox.run([sys.executable, "-I", "-m", "ruff", "check", *settings,
                               *RUFF_OPTIONS, "."], timeout=lint.timeout_seconds,
                              readable=readable, display="ruff check")
    else:
        assert lint.run is not None
        outcome = sandbox.run_shell(lint.run, timeout=lint.timeout_seconds,
                                    env=interpreter_first_env(sandbox))
    return read_lint_output(outcome, lint.timeout_seconds)


def read_lint_output(outcome: CommandResult, timeout: float) -> tuple[int | None, str]:
    if outcome.timed_out:
        return None, f"lint not measured: the linter timed out after {timeout:g}s"
    if outcome.exit_code not in (0, 1):
        return None, (f"lint not measured: the linter exited with {outcome.exit_code}"
                      + (f": {outcome.tail(3)}" if outcome.tail(3) else ""))
    text = outcome.stdout.strip()
    try:
        data = json.loads(text) if text else []
    except ValueError:
        count = len([line for line in text.splitlines() if line.strip()])
    else:
        if isinstance(data, list):
            count = len(data)
        elif isinstance(data, dict) and isinstance(data.get("errors"), int):
            count = int(data["errors"])
        else:
            return None, ("lint not measured: its output is JSON but neither a list nor "
                          "{\"errors\": N}")
    if outcome.exit_code == 1 and count == 0:
        return None, ("lint not measured: the linter failed (exit code 1) and printed no "
                      "error it found" + (f": {outcome.tail(3)}" if outcome.tail(3) else ""))
    return count, ""
