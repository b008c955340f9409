"""The container engine: podman or docker, whichever is installed (``choice`` picks one),
driven through the verbs both CLIs share. A missing engine is a set-up error that says
what to install.

Some hosts need more than the engine's defaults to start a container at all: podman's
default runtime crun refuses the hybrid cgroup layout some CI machines have, and runc then
needs explicit ``--ulimit`` values it may set. ``run_options`` finds what works here once,
by starting a container of the image at hand, and says what it tried when nothing does.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("podman", "docker")
INSTALL_HINT = ("install podman (Debian/Ubuntu: `apt-get install podman`; on hosts whose "
                "cgroups are hybrid also `apt-get install runc`) or docker")
PORTABLE_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
"""Limits a runtime can always set (at most the harness's own), for runtimes that must set
them explicitly."""
PROBE_SECONDS = 120.0


class ContainerError(RuntimeError):
    """The engine is missing, or could not build, start or reach a container (infra)."""


class UnrunnableImage(ContainerError):
    """The image cannot run the agent's programs, which are this machine's (config)."""


@dataclass(frozen=True)
class Engine:
    name: str
    program: str
    extra: tuple[str, ...] = field(default=())
    """Options every ``run`` gets on this host (a runtime and limits it needs)."""

    def argv(self, *words: str) -> list[str]:
        return [self.program, *words]

    def run(self, *words: str, timeout: float = PROBE_SECONDS, input: bytes | None = None
            ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(self.argv(*words), capture_output=True, timeout=timeout,
                                  input=input, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ContainerError(f"{self.name} {words[0]} could not run: {exc}") from exc


def last_line(done: subprocess.CompletedProcess[bytes]) -> str:
    """What the engine said last on stderr (or its exit code): the reason, in a message."""
    said = done.stderr.decode(errors="replace").strip().splitlines()
    return said[-1] if said else str(done.returncode)


def said_tail(done: subprocess.CompletedProcess[bytes], limit: int = 300) -> str:
    """The end of what the engine said on stderr, bounded."""
    return done.stderr.decode(errors="replace").strip()[-limit:]


def find_engine(choice: str | None = None) -> Engine:
    """``choice`` (podman or docker), else the first installed of podman and docker."""
    names = [choice] if choice else list(ENGINES)
    for name in names:
        if name not in ENGINES:
            raise ContainerError(f"unknown container engine {name!r}: podman or docker")
        program = shutil.which(name)
        if program is not None:
            return Engine(name, program)
    wanted = choice or "podman or docker"
    raise ContainerError(f"this benchmark runs in a container, and {wanted} is not "
                         f"installed: {INSTALL_HINT}")


@functools.cache
def run_options(engine: Engine, image: str) -> Engine:
    """``engine`` with the ``run`` options that start a container of ``image`` here: its
    defaults, else runc with explicit limits (podman on a hybrid-cgroup host)."""
    tried: list[str] = []
    for extra in _candidates(engine):
        done = engine.run("run", "--rm", "--network", "none", *extra, image, "true")
        if done.returncode == 0:
            return Engine(engine.name, engine.program, tuple(extra))
        tried.append(f"{' '.join(extra) or 'defaults'}: {last_line(done)}")
    raise ContainerError(f"{engine.name} cannot start a container of {image} here ("
                         + "; ".join(tried) + f"): {INSTALL_HINT}")


def build_options(engine: Engine) -> list[str]:
    """What ``build`` needs here for its RUN steps: podman runs them with its default
    runtime too, which crun cannot be on a hybrid-cgroup host (runc can)."""
    hybrid = Path("/sys/fs/cgroup/unified").is_dir()
    if engine.name == "podman" and hybrid and shutil.which("runc"):
        return ["--runtime", "runc"]
    return []


def _candidates(engine: Engine) -> list[Sequence[str]]:
    found: list[Sequence[str]] = [[]]
    if engine.name == "podman" and shutil.which("runc"):
        found.append(["--runtime", "runc", *PORTABLE_LIMITS])
    found.append(PORTABLE_LIMITS)
    return found
