"""A run's container as the sandbox's command host: each ``Sandbox.run`` becomes an
``exec`` in it, the workspace's paths turned into the container's, and the files a
command is shown read-only (an oracle's script, a prompt) copied in at their own paths
first. The workspace is the only thing of the host the container has; what it holds is
the agent's, and nothing of it is run or followed here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from ..sandbox.process import CommandResult
from .container import RunContainer
from .engine import ContainerError


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
                   stdout_path: Path | None) -> CommandResult:
        for path in readable:
            self._copy_in(path)
        words = [self.inside(Path(word)) if word.startswith(str(self.workspace)) else word
                 for word in argv]
        variables = {"HOME": "/root", "GAOBENCH_SANDBOX": self.container.workdir, **env}
        return self.container.exec(words, timeout=timeout, cwd=self.inside(cwd),
                                   env=variables, stdout_path=stdout_path)

    def _copy_in(self, path: Path) -> None:
        engine, name = self.container.engine, self.container.name
        made = engine.run("exec", name, "mkdir", "-p", str(path.parent))
        done = engine.run("cp", str(path), f"{name}:{path}") if made.returncode == 0 else made
        if done.returncode != 0:
            raise ContainerError(f"could not copy {path} into the container: "
                                 f"{done.stderr.decode(errors='replace').strip()[-300:]}")

    def close(self) -> None:
        self.container.remove()
