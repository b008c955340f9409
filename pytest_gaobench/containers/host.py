"""A run's container as the sandbox's command host: each ``Sandbox.run`` becomes an
``exec`` in it, the workspace's paths turned into the container's, and the files a
command is shown read-only (an oracle's script, a prompt, an agent's script) copied in at
their own paths first, unless the container has them mounted (an agent's installation).

A folder the command may write (the agent's home, an ``out/`` for its usage file) is
copied in, and back out after it (``copy_out``: bounded, and only files and folders come
back). A command that reaches the metering proxy runs behind the forwarder, in the
harness's interpreter the container shows, relaying 127.0.0.1 inside to the proxy's
socket in the mounted services folder."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from ..sandbox.handover import hand_over
from ..sandbox.process import CommandResult
from ..sandbox.sandbox import SERVICE_PORT
from .container import SERVICE_FOLDER, RunContainer
from .copy_out import CopyTooLarge, copy_out
from .engine import ContainerError, said_tail

FORWARDER_NAME = "forwarder.py"
"""The forwarder's copy in the services folder."""


class ContainerHost:
    def __init__(self, container: RunContainer, workspace: Path, image: str,
                 grader_network: bool = False, forwarder_python: str | None = None) -> None:
        self.container = container
        self.workspace = workspace
        self.image = image
        """The run's image: the verifier starts a fresh container of it."""
        self.grader_network = grader_network
        self.forwarder_python = forwarder_python

    @property
    def service_folder(self) -> Path | None:
        return self.container.services

    def inside(self, path: Path) -> str:
        """Where a path of the workspace is inside (other paths keep their own)."""
        if path == self.workspace or path.is_relative_to(self.workspace):
            relative = path.relative_to(self.workspace).as_posix()
            return str(PurePosixPath(self.container.workdir) / relative).rstrip("/.") \
                or self.container.workdir
        return str(path)

    def run_inside(self, argv: Sequence[str], *, timeout: float, cwd: Path,
                   env: Mapping[str, str], readable: Sequence[Path],
                   writable: Sequence[Path], stdout_path: Path | None,
                   service: Path | None = None, cancel: threading.Event | None = None,
                   on_wait: Callable[[], None] | None = None) -> CommandResult:
        for path in [*readable, *writable]:
            if not any(path.is_relative_to(top) for top in self.container.shown):
                self._copy_in(path)
        if service is not None:
            argv = self._behind_forwarder(argv, service)
        variables = {"HOME": "/root", "GAOBENCH_SANDBOX": self.container.workdir,
                     **{name: self._mapped(value) for name, value in env.items()}}
        done = self.container.exec([self._mapped(word) for word in argv], timeout=timeout,
                                   cwd=self.inside(cwd), env=variables,
                                   stdout_path=stdout_path, cancel=cancel, on_wait=on_wait)
        for folder in writable:
            with contextlib.suppress(CopyTooLarge):  # what it wrote there is not read
                copy_out(self.container.engine, self.container.name, str(folder), folder)
        return done

    def _behind_forwarder(self, argv: Sequence[str], service: Path) -> list[str]:
        """``argv`` started by the forwarder, which serves ``service`` inside."""
        if self.service_folder is None or self.forwarder_python is None \
                or service.parent != self.service_folder:
            raise ContainerError("the metering proxy's socket is not in the folder this "
                                 "container has mounted for it")
        uid = self.container.root_uid
        if uid is not None:  # container root (an unprivileged host uid) may connect
            hand_over(service, uid, uid)
        folder = PurePosixPath(SERVICE_FOLDER)
        return [self.forwarder_python, "-I", str(folder / FORWARDER_NAME),
                str(folder / service.name), str(SERVICE_PORT), "--", *argv]

    def _mapped(self, text: str) -> str:
        """``text`` with the workspace's path written as the container's."""
        return text.replace(str(self.workspace), self.container.workdir)

    def _copy_in(self, path: Path) -> None:
        """``path`` copied in at its own path (the folders on the way made first)."""
        folder = path if path.is_dir() else path.parent
        made = self.container.engine.run("exec", self.container.name, "mkdir", "-p",
                                         str(folder))
        if made.returncode != 0:
            raise ContainerError(f"could not copy {path} into the container: "
                                 f"{said_tail(made)}")
        self.container.copy_in(path, str(path))

    def place(self, source: Path, inside: str) -> None:
        self.container.copy_in(source, inside)

    def close(self) -> None:
        self.container.remove()
        if self.service_folder is not None:
            shutil.rmtree(self.service_folder, ignore_errors=True)
