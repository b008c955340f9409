"""Run one command with a deadline, bounded output, and nothing left behind.

The command gets its own session (process group), so a timeout or Ctrl-C kills it
and everything it forked. Output goes to files rather than pipes: a grandchild that
keeps a pipe open cannot hang the harness, and megabytes of output cost no memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .output import last_lines, read_bounded

DEFAULT_OUTPUT_LIMIT = 64 * 1024
KILL_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_code: int | None
    """None when the command was killed at its deadline."""
    stdout: str
    stderr: str
    timed_out: bool
    duration_seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def tail(self, lines: int = 15, max_chars: int = 2000) -> str:
        """The end of the output, where the reason for a failure usually is; bounded even
        when the output is one enormous line."""
        text = self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr
        return last_lines(text, lines, max_chars)


def run_command(argv: Sequence[str], *, cwd: Path, timeout: float, env: Mapping[str, str],
                output_limit: int = DEFAULT_OUTPUT_LIMIT, display: str | None = None,
                stdout_path: Path | None = None, cancel: threading.Event | None = None,
                on_wait: Callable[[], None] | None = None,
                pass_fds: Sequence[int] = ()) -> CommandResult:
    """Run ``argv`` in ``cwd``; kill its whole process group at ``timeout`` seconds.

    ``stdout_path``: keep the whole standard output in this file, written as it comes (an
    agent's event stream), instead of a temporary one. ``cancel``: setting this event
    from another thread ends the command early, as a timeout would (a budget stop).
    ``on_wait``: called every few seconds while the command runs (live progress).
    ``pass_fds``: descriptors the command inherits."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gaobench-out-") as out_dir:
        out_path = stdout_path or Path(out_dir, "stdout")
        err_path = Path(out_dir, "stderr")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, start_new_session=True, pass_fds=tuple(pass_fds))
            finished = threading.Event()
            if cancel is not None:
                threading.Thread(target=_kill_on, args=(cancel, finished, process),
                                 daemon=True).start()
            timed_out = False
            try:
                _wait(process, started + max(timeout, 0.001), on_wait)
            except subprocess.TimeoutExpired:
                timed_out = True
            except BaseException:
                kill_group(process)
                raise
            finally:
                finished.set()
                kill_group(process)
        return CommandResult(
            command=display or " ".join(argv),
            exit_code=None if timed_out else process.returncode,
            stdout=read_bounded(out_path, output_limit),
            stderr=read_bounded(err_path, output_limit),
            timed_out=timed_out,
            duration_seconds=time.monotonic() - started,
        )


WAIT_TICK_SECONDS = 5.0


def _wait(process: subprocess.Popen[bytes], deadline: float,
          on_wait: Callable[[], None] | None) -> None:
    """Wait until the process ends or the deadline passes (TimeoutExpired), telling
    ``on_wait`` every few seconds."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(process.args, 0)
        try:
            process.wait(timeout=min(left, WAIT_TICK_SECONDS) if on_wait else left)
            return
        except subprocess.TimeoutExpired:
            if on_wait is None or time.monotonic() >= deadline:
                raise
            on_wait()


def _kill_on(cancel: threading.Event, finished: threading.Event,
             process: subprocess.Popen[bytes]) -> None:
    """Wait for either event; a cancel before the command finished kills its group."""
    while not finished.is_set():
        if cancel.wait(timeout=0.5):
            if not finished.is_set():
                kill_group(process)
            return


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and every descendant still in its group: TERM, a grace, then KILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is already gone
    else:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=KILL_GRACE_SECONDS)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
        process.wait()
