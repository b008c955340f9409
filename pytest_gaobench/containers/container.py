"""One container per run, with the guarantees of the bubblewrap sandbox:

- no network (``--network none``);
- no host root: when the harness is root, the container's users are mapped onto an
  unprivileged range of host ids (container root is host uid 100000), so a file it makes
  in the workspace belongs to that uid, never to root;
- no capabilities, no new privileges, a pids and a memory limit;
- nothing of the host but the workspace, bind-mounted at the task's working folder, and
  what the run's agent needs to run, read-only: its installation at its own paths, and
  the folder the metering proxy's socket is made in (``SERVICE_FOLDER``).

It is started when the run starts and removed at the end, always. Labels name the
harness process that owns it, so a later session removes what a killed one left
(``prune``). Commands run in it through ``exec``, under the image's ``timeout`` where it
has one, so a deadline ends the command inside, not only the ``exec`` client.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..sandbox.handover import hand_over
from ..sandbox.process import CommandResult, run_command
from .engine import ContainerError, Engine, last_line, said_tail

LABEL = "io.gaobench.run"
OWNER_LABEL = "io.gaobench.owner"
"""host:pid of the harness that started it: a container whose owner is gone is left over."""
SERVICE_FOLDER = "/run/gaobench"
"""Where the harness's services (the metering proxy's socket, its forwarder) are inside."""
MAPPED_ROOT = 100000
MAPPED_COUNT = 65536
PIDS_LIMIT = 1024
MEMORY_LIMIT = "4g"
KILL_GRACE_SECONDS = 2


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class RunContainer:
    engine: Engine
    name: str
    workdir: str
    """Where the workspace is inside (the image's WORKDIR, /app for most Harbor tasks)."""
    has_timeout: bool = False
    root_uid: int | None = None
    """The host uid the container's root is, where the harness hands it files (None: the
    harness's own uid, rootless)."""
    shown: tuple[Path, ...] = ()
    """Harness paths it has mounted read-only at their own paths."""
    services: Path | None = None
    """The harness folder it has mounted at ``SERVICE_FOLDER``."""

    @classmethod
    def start(cls, engine: Engine, image: str, workspace: Path, run_id: str,
              workdir: str = "/app", network: bool = False, shown: Sequence[Path] = (),
              services: Path | None = None, capabilities: bool = False) -> RunContainer:
        """A container of ``image`` for run ``run_id``, ``workspace`` at ``workdir``; no
        network unless ``network`` (a verifier that may install its tools). ``shown``:
        harness paths mounted read-only at their own paths (an agent's installation);
        ``services``: a harness folder mounted read-only at ``SERVICE_FOLDER``.
        ``capabilities``: keep the engine's default set (a verifier), else none."""
        name = f"gaobench-{run_id}"[:120]
        mapping = user_mapping(engine)
        if mapping.root_uid is not None:  # an unprivileged host uid, which must own these
            for folder in (workspace, *([services] if services else [])):
                hand_over(folder, mapping.root_uid, mapping.root_uid)
        volumes = [word for path in shown for word in ("--volume", f"{path}:{path}:ro")]
        if services is not None:
            volumes += ["--volume", f"{services}:{SERVICE_FOLDER}:ro"]
        done = engine.run(
            "run", "--detach", "--name", name, "--label", f"{LABEL}={run_id}",
            "--label", f"{OWNER_LABEL}={owner()}", *engine.extra, *mapping.options,
            "--network", _network(engine, network),
            *([] if capabilities else ["--cap-drop", "ALL"]),
            "--security-opt", "no-new-privileges",
            "--pids-limit", str(PIDS_LIMIT), "--memory", MEMORY_LIMIT,
            "--volume", f"{workspace}:{workdir}", *volumes, "--workdir", workdir,
            "--entrypoint", "sleep", image, "infinity")
        if done.returncode != 0:
            raise ContainerError(f"{engine.name} could not start a container of {image}: "
                                 f"{last_line(done)}")
        container = cls(engine, name, workdir, root_uid=mapping.root_uid, shown=tuple(shown),
                        services=services)
        container.has_timeout = container.exec(["sh", "-c", "command -v timeout"],
                                               timeout=30).ok
        return container

    def exec(self, argv: Sequence[str], *, timeout: float, cwd: str | None = None,
             env: Mapping[str, str] | None = None, stdout_path: Path | None = None,
             cancel: threading.Event | None = None,
             on_wait: Callable[[], None] | None = None) -> CommandResult:
        """``argv`` in the container, in ``cwd`` (default: the workspace), with ``env``.
        ``cancel`` (the metering proxy stopping the agent) ends everything that runs
        inside, as ending the ``exec`` client alone would not."""
        variables = [word for name, value in (env or {}).items()
                     for word in ("--env", f"{name}={value}")]
        inner = list(argv)
        if self.has_timeout:
            # -k: the spelling GNU's and busybox's timeout share
            inner = ["timeout", "-k", str(KILL_GRACE_SECONDS), f"{timeout:g}", *inner]
        done = run_command(self.engine.argv("exec", "--workdir", cwd or self.workdir,
                                            *variables, self.name, *inner),
                           cwd=Path("/"), timeout=timeout + 2 * KILL_GRACE_SECONDS + 5,
                           env=dict(os.environ), display=" ".join(argv),
                           stdout_path=stdout_path, cancel=cancel, on_wait=on_wait)
        if cancel is not None and cancel.is_set():
            self.end_processes()
        return done

    def end_processes(self) -> None:
        """End everything that runs in it (what the agent left running), keeping the
        container and its files for the commands that come after (custom metrics)."""
        done = self.engine.run("restart", "--time", "0", self.name)
        if done.returncode != 0:
            raise ContainerError(f"{self.engine.name} could not end what runs in "
                                 f"{self.name}: {said_tail(done)}")

    def copy_in(self, source: Path, inside: str) -> None:
        """``source`` (a harness file, or a folder's contents) copied to ``inside``."""
        done = self.engine.run("cp", f"{source}/." if source.is_dir() else str(source),
                               f"{self.name}:{inside}")
        if done.returncode != 0:
            raise ContainerError(f"could not copy {source} to {inside} in the container: "
                                 f"{said_tail(done)}")

    def remove(self) -> None:
        """Stop and remove it; already gone is fine."""
        self.engine.run("rm", *_forced(self.engine), self.name)

    def mounts(self) -> list[str]:
        """The host paths mounted into it (what it can see of the host)."""
        done = self.engine.run("inspect", "--format", "{{json .Mounts}}", self.name)
        return [mount.get("Source", "") for mount in json.loads(done.stdout or b"[]")]


@dataclass(frozen=True)
class UserMapping:
    options: tuple[str, ...] = ()
    """``run``'s options for it."""
    root_uid: int | None = None
    """The host uid the container's root is (None: the harness's own)."""


@functools.cache
def user_mapping(engine: Engine) -> UserMapping:
    """How the container's root is kept off the host's root: podman maps it itself for a
    root harness (a harness that is not root runs rootless podman); docker maps in its
    daemon (userns-remap, or rootless docker), and one that does not is refused. Asked
    once per engine in a process (every run and verifier starts a container)."""
    if engine.name == "podman":
        if os.geteuid() != 0:
            return UserMapping()
        ids = f"0:{MAPPED_ROOT}:{MAPPED_COUNT}"
        return UserMapping(("--uidmap", ids, "--gidmap", ids), MAPPED_ROOT)
    done = engine.run("info", "--format", "{{json .}}")
    if done.returncode != 0:
        raise ContainerError(f"docker info failed: {last_line(done)}")
    try:
        info = json.loads(done.stdout)
    except ValueError:
        info = {}
    return docker_mapping(info if isinstance(info, dict) else {})


def docker_mapping(info: dict[str, object]) -> UserMapping:
    """What ``docker info`` says of its containers' root: ``name=rootless`` (the user's
    own uid), ``name=userns`` (userns-remap: the uid its data folder is named by,
    ``/var/lib/docker/231072.231072``), else the host's root, which is refused."""
    options = info.get("SecurityOptions")
    names = {part.removeprefix("name=") for option in options if isinstance(option, str)
             for part in option.split(",") if part.startswith("name=")} \
        if isinstance(options, list) else set()
    if "rootless" in names:
        return UserMapping()
    folder = str(info.get("DockerRootDir") or "").rstrip("/").rpartition("/")[2]
    uid, dot, _ = folder.partition(".")
    if "userns" in names and dot and uid.isdigit():
        return UserMapping(root_uid=int(uid))
    raise ContainerError("docker runs containers as this machine's root here (neither "
                         "userns-remap nor rootless mode is on): enable one of them, or use "
                         "podman (--gaobench-container=podman)")


def _forced(engine: Engine) -> list[str]:
    """``rm``'s options to stop and remove at once (docker's ``rm`` has no ``--time``)."""
    return ["--force", "--time", "0"] if engine.name == "podman" else ["--force"]


def _network(engine: Engine, network: bool) -> str:
    if not network:
        return "none"
    return "slirp4netns" if engine.name == "podman" else "bridge"


def prune(engine: Engine) -> list[str]:
    """Remove the containers of harness processes of this host that are gone (a session
    that was killed); the names removed."""
    done = engine.run("ps", "--all", "--filter", f"label={LABEL}", "--format",
                      "{{.Names}}\t{{.Labels}}")
    removed = []
    host = socket.gethostname()
    for line in done.stdout.decode(errors="replace").splitlines():
        name, _, labels = line.partition("\t")
        holder = _label(labels, OWNER_LABEL)
        where, _, pid = holder.rpartition(":")
        if where == host and pid.isdigit() and not alive(int(pid)):
            engine.run("rm", *_forced(engine), name)
            removed.append(name)
    return removed


def _label(labels: str, key: str) -> str:
    """One label's value from the engine's ``{{.Labels}}`` text (map[k:v k2:v2] or k=v,...)."""
    for part in labels.strip("map[]").replace(",", " ").split():
        name, sep, value = part.partition(":" if "=" not in part else "=")
        if name == key and sep:
            return value
    return ""


def alive(pid: int) -> bool:
    """Whether a process of this host has that pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
