"""What an agent's program needs from a container it runs in, known before the container
starts (its mounts are fixed then): its installation and the harness's interpreter, shown
read-only at their own paths; quick commands that fail where the image cannot run them;
and whether it reaches the metering proxy (its socket's folder is mounted in)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AgentRuntime:
    label: str
    """The agent as messages name it (``the Claude Code CLI``)."""
    mounts: tuple[Path, ...] = ()
    """Harness paths shown read-only inside, each at its own path."""
    probes: tuple[tuple[str, ...], ...] = ()
    """Commands run once the container started: one that fails means this image cannot
    run the agent (a musl image and a glibc binary, a library missing)."""
    forwarder_python: str | None = None
    """The interpreter the forwarder runs in, when the agent reaches the metering proxy
    (None: it has no API access through the harness)."""
