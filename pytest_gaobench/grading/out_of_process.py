"""The solution served from a sandbox of its own, for hidden tests that never import it.

In-process hidden tests import the agent's code into the grader, where it can change the
verdict (patch pytest, register a hook, rewrite the report at exit). With
``grading_mode: out_of_process`` the grader keeps the workspace off its path and its tests
reach the solution through the ``solution`` fixture: a socket to ``solution_host``, which
the harness starts here in another sandbox, where the grader's reports are not.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..sandbox.output import drain_bounded
from ..sandbox.sandbox import Sandbox
from . import solution_host
from .errors import GradingSetupError

SOLUTION_SOCKET = "/run/gaobench/solution.sock"
"""Where the grader finds the solution's socket under bubblewrap."""
READY_SECONDS = 30.0


class SolutionHostError(GradingSetupError):
    """The solution's host did not start."""


@contextmanager
def hosted_solution(sandbox: Sandbox, log: Path) -> Iterator[Path]:
    """The socket of a running solution host, stopped (with all it started) at the end.
    What the host and the solution print goes to ``log``, bounded."""
    folder = Path(tempfile.mkdtemp(prefix="gaobench-solution-"))  # short: a socket's path
    path = folder / "solution.sock"
    try:
        process = sandbox.start([sys.executable, "-I", solution_host.__file__, str(path)],
                                writable=[folder])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    assert process.stderr is not None
    drained = drain_bounded(process.stderr, log)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
        if not ready or process.stdout.readline().strip() != b"ready":
            raise SolutionHostError(f"the solution's host did not start in "
                                    f"{READY_SECONDS:g}s (exit code {process.poll()}; its "
                                    f"log: {log.name})")
        yield path
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        drained.join(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)
