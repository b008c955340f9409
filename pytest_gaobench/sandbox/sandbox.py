"""Sandbox project folders: one run directory per run, its workspace, and commands in it.

Layout: ``<root>/runs/<run_id>/`` holds the harness's files (result.json, status.json,
events.jsonl, transcript.jsonl); ``workspace/`` inside it is the only place the agent
works. Commands run there with a scrubbed environment: the harness's secrets
(API keys and the like) are never passed on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .agent_runtime import AgentRuntime
from .handover import hand_over, strip_set_id
from .isolation import Isolation
from .process import DEFAULT_OUTPUT_LIMIT, CommandResult, run_command
from .started import start_signal
from .toolchain import Toolchain

PRIVATE = 0o700
"""Run folders and workspaces: no other local user reads a run or runs what it made."""
SERVICE_SOCKET = "/run/gaobench/service.sock"
"""Where a harness service's Unix socket (the metering proxy) is placed inside."""
SERVICE_PORT = 8390
"""Where the forwarder serves it on the sandbox's private loopback."""
FORWARDER = Path(__file__).with_name("forwarder.py")

# Only these variables of the harness's environment reach sandbox commands.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "USER", "LOGNAME", "SHELL",
              "VIRTUAL_ENV", "SYSTEMROOT")


class SandboxError(RuntimeError):
    """The sandbox could not be set up (an infra failure, never the agent's)."""


class CommandHost(Protocol):
    """Where a run's commands run instead of this machine's sandbox: its container."""

    @property
    def service_folder(self) -> Path | None:
        """The harness folder mounted inside for services' sockets (None: none was)."""

    def run_inside(self, argv: Sequence[str], *, timeout: float, cwd: Path,
                   env: Mapping[str, str], readable: Sequence[Path],
                   writable: Sequence[Path], stdout_path: Path | None,
                   service: Path | None, cancel: threading.Event | None,
                   on_wait: Callable[[], None] | None) -> CommandResult: ...

    def place(self, source: Path, inside: str) -> None:
        """Copy ``source`` (a file or folder of the harness's) to ``inside``: an oracle's
        solution at ``/solution``, as Harbor uploads it."""

    def close(self) -> None:
        """Remove it (the end of the run, whatever the end was)."""


def new_run_id(benchmark: str) -> str:
    """Sortable by time, readable, and unique across processes (random suffix)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", benchmark)[:40]
    return f"{stamp}-{safe}-{uuid.uuid4().hex[:8]}"


def sandbox_env(workspace: Path, toolchain: Toolchain | None = None) -> dict[str, str]:
    """A minimal environment: no secrets; HOME is the workspace, so tools that write
    dotfiles write them where the agent may. ``python`` is the benchmark's environment's
    where it has one, else the harness's."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    # The environment's bin, else the harness's interpreter's: never both, so a `pytest` the
    # environment lacks is missing, not the harness's in the wrong interpreter.
    first = str(Path(sys.executable).parent)
    if toolchain is not None:
        env.update(toolchain.variables())
        first = str(toolchain.bin)
    env["PATH"] = os.pathsep.join([first, env.get("PATH", os.defpath)])
    env["HOME"] = str(workspace)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["GAOBENCH_SANDBOX"] = str(workspace)
    return env


@dataclass
class Sandbox:
    run_id: str
    run_dir: Path
    workspace: Path
    isolation: Isolation = field(default_factory=Isolation)
    network: bool = False
    """Whether commands may use the network (only meaningful under isolation); the runner
    sets it from ``allow_network`` for the agent's phases and clears it for grading."""
    shown: tuple[Path, ...] = ()
    """What the user asked CLI agents to see read-only (``--gaobench-sandbox-show``);
    the agents add it to their commands, grading never does."""
    toolchain: Toolchain | None = None
    """The benchmark's own Python environment, once it is built for this run."""
    host: CommandHost | None = None
    """The run's container, once it is started: every command runs there."""
    container_engine: str | None = None
    """podman or docker, as the user chose (``--gaobench-container``); None: either."""
    agent_runtime: AgentRuntime | None = None
    """What the run's agent needs from a container (set before it starts)."""

    @property
    def runs_root(self) -> Path:
        """The harness's folder the run folder is in (``<root>/runs/<run_id>``)."""
        return self.run_dir.parents[1]

    def private_network(self, network: bool | None = None) -> bool:
        """Whether a command runs in a network namespace of its own (nothing of the host's
        loopback reachable): in a container always, under isolation unless it was given
        the network."""
        if self.host is not None:
            return True
        return self.isolation.bwrap is not None and not (
            self.network if network is None else network)

    @property
    def service_url(self) -> str:
        """The URL of ``service`` inside the sandbox (see ``run``)."""
        return f"http://127.0.0.1:{SERVICE_PORT}"

    @property
    def service_folder(self) -> Path | None:
        """Where a service's socket must be made for ``run`` to place it inside: the
        folder the run's container has mounted (None: anywhere, bubblewrap binds it)."""
        return self.host.service_folder if self.host is not None else None

    def run(self, argv: Sequence[str], *, timeout: float, cwd: Path | None = None,
            output_limit: int = DEFAULT_OUTPUT_LIMIT,
            writable: Sequence[Path] = (), readable: Sequence[Path] = (),
            display: str | None = None, env: Mapping[str, str] | None = None,
            network: bool | None = None, stdout_path: Path | None = None,
            cancel: threading.Event | None = None,
            on_wait: Callable[[], None] | None = None,
            service: Path | None = None,
            sockets: Mapping[str, Path] | None = None) -> CommandResult:
        """Run a command inside the workspace with the sandbox's environment and isolation.
        ``writable``/``readable``: harness paths the command may also write or read.
        ``env``: variables added to the scrubbed environment (never the harness's secrets:
        the caller chooses each one). ``network``: overrides the sandbox's own setting for
        this command (a CLI agent needs its API; grading never gets it this way).
        ``stdout_path``, ``cancel``, ``on_wait``: as in ``run_command``. ``service``: a
        harness Unix socket the command reaches at ``service_url`` on its private loopback
        (only with a private network: the forwarder runs in front of the command).
        ``sockets``: harness Unix sockets placed at these paths inside (see ``socket_at``)."""
        where = cwd or self.workspace
        if self.host is not None:
            if sockets:
                raise SandboxError("a container gives its commands no harness socket but "
                                   "the metering proxy's")
            return self.host.run_inside(argv, timeout=timeout, cwd=where, env=dict(env or {}),
                                        readable=readable, writable=writable,
                                        stdout_path=stdout_path, service=service,
                                        cancel=cancel, on_wait=on_wait)
        shown = display or " ".join(argv)
        network = self.network if network is None else network
        placed: dict[str, Path] = dict(sockets or {}) if self.isolation.bwrap else {}
        if service is not None:
            if not self.private_network(network):
                raise ValueError("a service socket needs the sandbox's private network")
            placed[SERVICE_SOCKET] = service
            argv = [sys.executable, "-I", str(FORWARDER), SERVICE_SOCKET, str(SERVICE_PORT),
                    "--", *argv]
        self.hand_over([*writable, *placed.values()])
        if self.toolchain is not None:
            readable = [*readable, *self.toolchain.readable(writable)]

        def launch(argv: Sequence[str], pass_fds: Sequence[int] = ()) -> CommandResult:
            return run_command(argv, cwd=where, timeout=timeout,
                               env={**self.environment(), **(env or {})},
                               output_limit=output_limit, display=shown,
                               stdout_path=stdout_path, cancel=cancel, on_wait=on_wait,
                               pass_fds=pass_fds)

        if self.isolation.bwrap is None:
            return launch(argv)
        with start_signal(self.isolation.owner) as started:
            done = launch(self.isolation.wrap([*started.launcher, *argv],
                                              workspace=self.workspace, cwd=where,
                                              network=network, writable=writable,
                                              readable=readable, placed=placed),
                          pass_fds=[started.write_end])
            if done.exit_code not in (0, None) and not started.seen():
                raise SandboxError(f"the sandbox could not start the command ({shown[:200]}): "
                                   f"{done.tail(5) or f'bwrap exited with {done.exit_code}'}")
        return done

    def environment(self) -> dict[str, str]:
        """The variables every command starts from (see ``sandbox_env``)."""
        return sandbox_env(self.workspace, self.toolchain)

    def hand_over(self, writable: Sequence[Path] = ()) -> None:
        """Give the workspace and ``writable`` to the user sandboxed commands run as, when
        that is not the harness (a root harness: what the harness copied in is root's)."""
        owner = self.isolation.owner
        if owner is not None:
            for path in (self.workspace, *writable):
                hand_over(path, *owner)

    def socket_at(self, inside: str, path: Path) -> str:
        """Where a command given ``sockets={inside: path}`` finds the socket: ``inside``
        under bubblewrap, the harness's own path without it."""
        return inside if self.isolation.bwrap else str(path)

    def start(self, argv: Sequence[str], *, writable: Sequence[Path] = ()
              ) -> subprocess.Popen[bytes]:
        """A long-running command under the sandbox (no network, as grading has none),
        its stdout and stderr pipes, in a process group of its own that the caller ends
        (and whose stderr it reads, bounded: see ``output.drain_bounded``)."""
        self.hand_over(writable)
        shown = self.toolchain.readable(writable) if self.toolchain else []
        wrapped = self.isolation.wrap(argv, workspace=self.workspace, cwd=self.workspace,
                                      network=False, writable=writable, readable=shown)
        return subprocess.Popen(wrapped, cwd=self.workspace, env=self.environment(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)

    def run_shell(self, script: str, *, timeout: float,
                  output_limit: int = DEFAULT_OUTPUT_LIMIT,
                  env: Mapping[str, str] | None = None) -> CommandResult:
        return self.run(["/bin/sh", "-c", script], timeout=timeout, output_limit=output_limit,
                        display=script, env=env)


class SandboxManager:
    """Creates run directories under ``root`` and removes workspaces when they are done."""

    def __init__(self, root: Path, *, keep: bool = False,
                 isolation: Isolation | None = None, shown: tuple[Path, ...] = (),
                 container_engine: str | None = None) -> None:
        self.root = root
        self.keep = keep
        self.isolation = isolation or Isolation()
        self.shown = shown
        self.container_engine = container_engine

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def create(self, benchmark: str, run_id: str | None = None) -> Sandbox:
        run_id = run_id or new_run_id(benchmark)
        run_dir = self.runs_dir / run_id
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            run_dir.mkdir(mode=PRIVATE, exist_ok=False)
        except OSError as exc:
            raise SandboxError(f"cannot create run directory {run_dir}: {exc.strerror}") from exc
        return Sandbox(run_id=run_id, run_dir=run_dir, workspace=run_dir / "workspace",
                       isolation=self.isolation, shown=self.shown,
                       container_engine=self.container_engine)

    def init_workspace(self, sandbox: Sandbox) -> None:
        try:
            sandbox.workspace.mkdir(mode=PRIVATE, exist_ok=True)
        except OSError as exc:
            raise SandboxError(f"cannot create workspace {sandbox.workspace}: "
                               f"{exc.strerror}") from exc

    def would_keep(self, sandbox: Sandbox, *, failed: bool) -> Path | None:
        """The workspace ``cleanup`` will keep: kept after a failure, or always with ``keep``."""
        if not sandbox.workspace.exists() or not (failed or self.keep):
            return None
        return sandbox.workspace

    @staticmethod
    def made_safe_to_keep(workspace: Path) -> list[str]:
        """A workspace that stays on disk: no file in it may run with its owner's rights
        (setuid or setgid), and only its owner may enter it. The files it cleared."""
        cleared = strip_set_id(workspace)
        os.chmod(workspace, PRIVATE)
        return cleared

    def cleanup(self, sandbox: Sandbox, *, failed: bool) -> Path | None:
        """Remove the workspace unless a failure is worth inspecting (or keeping is on)."""
        if sandbox.host is not None:  # the container goes whatever happens to the files
            sandbox.host.close()
            sandbox.host = None
        kept = self.would_keep(sandbox, failed=failed)
        if kept is None and sandbox.workspace.exists():
            shutil.rmtree(sandbox.workspace, ignore_errors=True)
            if sandbox.toolchain is not None:  # the run's own packages go with it
                shutil.rmtree(sandbox.toolchain.layer, ignore_errors=True)
        return kept
