"""Process isolation without Docker: bubblewrap around every sandbox command.

Inside: the whole system read-only, the workspace the only writable place (plus a
private /tmp), the harness's results folder hidden (so the agent can neither read
other runs nor write its own result), no network unless the benchmark asks for it,
its own PID namespace (killing bwrap ends every process in it), and the already
scrubbed environment. Where bubblewrap is missing or cannot run, the harness says
so and runs commands unisolated, unless isolation is ``required``.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`)"


class IsolationMode(StrEnum):
    AUTO = "auto"
    REQUIRED = "required"
    NONE = "none"


class IsolationUnavailable(RuntimeError):
    """Isolation was required but bubblewrap cannot be used here."""


@dataclass(frozen=True)
class Isolation:
    bwrap: str | None = None
    """Path of a working bwrap; None runs commands without isolation."""
    hidden: Path | None = None
    """The harness's folder (runs, database), invisible inside."""

    @property
    def name(self) -> str:
        return "bwrap" if self.bwrap else "none"

    def wrap(self, argv: Sequence[str], *, workspace: Path, cwd: Path, network: bool = False,
             writable: Sequence[Path] = (), readable: Sequence[Path] = ()) -> list[str]:
        if self.bwrap is None:
            return list(argv)
        command = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--tmpfs", "/tmp"]
        for path in interpreter_paths():  # a venv under /tmp must stay usable inside
            if path.is_relative_to("/tmp"):
                command += ["--ro-bind", str(path), str(path)]
        if self.hidden is not None:
            command += ["--tmpfs", str(self.hidden)]
        for path in readable:  # e.g. an oracle script under the hidden /tmp
            command += ["--ro-bind", str(path), str(path)]
        for path in (workspace, *writable):
            command += ["--bind", str(path), str(path)]
        if self.hidden is not None:
            command += ["--remount-ro", str(self.hidden)]
        command += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                    "--new-session", "--chdir", str(cwd)]
        if not network:
            command.append("--unshare-net")
        return [*command, "--", *argv]


@functools.cache
def interpreter_paths() -> tuple[Path, ...]:
    """Where this Python and its packages live (this one too, when installed editable):
    sandbox commands run the same interpreter, and its pytest loads the same plugins."""
    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent,
                  Path(sys.executable).resolve().parent, Path(__file__).resolve().parents[2],
                  *(Path(p) for p in sys.path if p)}
    return tuple(sorted(p.resolve() for p in candidates if p.is_dir()))


def find_bwrap() -> tuple[str | None, str]:
    """A bwrap that works here, or None and the reason it cannot be used."""
    path = shutil.which("bwrap")
    if path is None:
        return None, "bubblewrap (bwrap) is not installed"
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                "--unshare-pid", "--unshare-net", "true"],
                               capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bwrap could not start: {exc}"
    if probe.returncode != 0:
        return None, f"bwrap cannot create namespaces here: {probe.stderr.strip()}"
    return path, ""


def choose_isolation(mode: IsolationMode, hidden: Path) -> tuple[Isolation, str | None]:
    """The isolation to use, and a warning to show when it is weaker than asked."""
    if mode is IsolationMode.NONE:
        return Isolation(), None
    path, reason = find_bwrap()
    if path is not None:
        return Isolation(bwrap=path, hidden=hidden), None
    if mode is IsolationMode.REQUIRED:
        raise IsolationUnavailable(f"--gaobench-isolation=required, but {reason}: "
                                   f"{INSTALL_HINT}")
    return Isolation(), (f"sandbox commands run without isolation: {reason}; "
                         f"{INSTALL_HINT}, or pass --gaobench-isolation=none to silence this")
