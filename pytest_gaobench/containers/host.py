"""A run's container as the sandbox's command host: each ``Sandbox.run`` becomes an
``exec`` in it, the workspace's paths turned into the container's, and the files a
command is shown read-only (an oracle's script, a prompt, an agent's script) copied in at
their own paths first. A folder the command may write (an agent's ``out/`` for its usage
file) is copied in, and back out after it, when it is small (what comes back is the
agent's: links stay links, and the harness reads it as hostile data). The workspace is
the only thing of the host the container has mounted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from ..sandbox.process import CommandResult
from .container import RunContainer
from .engine import ContainerError, said_tail

COPY_LIMIT = 16 * 1024 * 1024
"""The most of a writable folder copied back out of the container."""


class ContainerHost:
    def __init__(self, container: RunContainer, workspace: Path, image: str,
                 grader_network: bool = False) -> None:
        self.container = container
        self.workspace = workspace
        self.image = image
        """The run's image: the verifier starts a fresh container of it."""
        self.grader_network = grader_network

    def inside(self, path: Path) -> str:
        """Where a path of the workspace is inside (other paths keep their own)."""
        if path == self.workspace or path.is_relative_to(self.workspace):
            relative = path.relative_to(self.workspace).as_posix()
            return str(PurePosixPath(self.container.workdir) / relative).rstrip("/.") \
                or self.container.workdir
        return str(path)

    def run_inside(self, argv: Sequence[str], *, timeout: float, cwd: Path,
                   env: Mapping[str, str], readable: Sequence[Path],
                   writable: Sequence[Path], stdout_path: Path | None) -> CommandResult:
        for path in [*readable, *writable]:
            self._copy_in(path)
        variables = {"HOME": "/root", "GAOBENCH_SANDBOX": self.container.workdir,
                     **{name: self._mapped(value) for name, value in env.items()}}
        done = self.container.exec([self._mapped(word) for word in argv], timeout=timeout,
                                   cwd=self.inside(cwd), env=variables,
                                   stdout_path=stdout_path)
        for folder in writable:
            self._copy_out(folder)
        return done

    def _mapped(self, text: str) -> str:
        """``text`` with the workspace's path written as the container's."""
        return text.replace(str(self.workspace), self.container.workdir)

    def _copy_out(self, folder: Path) -> None:
        """``folder`` as the command left it, when it is at most ``COPY_LIMIT``."""
        engine, name = self.container.engine, self.container.name
        size = engine.run("exec", name, "du", "-sk", str(folder))
        words = size.stdout.decode(errors="replace").split()
        if size.returncode != 0 or not words or not words[0].isdigit() \
                or int(words[0]) * 1024 > COPY_LIMIT:
            return  # what it wrote there is not read: too big, or not there
        engine.run("cp", f"{name}:{folder}/.", str(folder))

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
