"""A set-up step run in the sandbox with its output kept: a benchmark's ``setup`` command,
an environment's ``install`` step. Both streams go to the step's log, in the order written
(pip says why it failed on stderr), and a failure is told with the end of that log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .output import last_lines, read_bounded
from .process import CommandResult
from .sandbox import Sandbox

LOG_READ_LIMIT = 64 * 1024


def run_logged_step(sandbox: Sandbox, script: str, log_file: Path, *, timeout: float,
                    network: bool, writable: Sequence[Path] = (),
                    env: Mapping[str, str] | None = None) -> CommandResult:
    """``script`` through ``/bin/sh`` in the workspace, stdout and stderr in ``log_file``."""
    return sandbox.run(["/bin/sh", "-c", "exec 2>&1\n" + script], timeout=timeout,
                       network=network, writable=writable, env=env, display=script,
                       stdout_path=log_file)


def step_failure(done: CommandResult, log_file: Path, timed_out: str) -> str:
    """Why a step failed (``timed_out``, or its exit code), and the end of its log."""
    why = timed_out if done.timed_out else f"exited with {done.exit_code}"
    tail = last_lines(read_bounded(log_file, LOG_READ_LIMIT), 5, 2000) or done.tail(5)
    return why + (f": {tail}" if tail else "")
