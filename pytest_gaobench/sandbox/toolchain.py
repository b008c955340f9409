"""What a benchmark's own environment gives sandbox commands: its ``bin`` folder first on
PATH, the folders it lives in shown read-only, and its variables.

The sandbox only carries this; ``environment`` builds it. Without one, commands run the
harness's interpreter, as they always have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Toolchain:
    bin: Path
    """The run's layer's ``bin``: its ``python``, ``pip`` and ``pytest``."""
    python: Path
    """The run's layer's interpreter (``bin/python``)."""
    layer: Path
    """The run's own layer (a virtual environment over the shared one): writable only to
    the install steps, read-only to the agent and the grader."""
    shown: tuple[Path, ...]
    """The base interpreter's prefix and the shared environment, shown read-only."""
    env: Mapping[str, str] = field(default_factory=dict)
    """The benchmark's ``environment.env``, for every command."""
    test_network: bool = False
    """Whether the grader's test runs may reach the network."""

    def variables(self) -> dict[str, str]:
        """What a command in this environment gets on top of the scrubbed environment."""
        return {**self.env, "VIRTUAL_ENV": str(self.layer), "PYTHONNOUSERSITE": "1"}

    def readable(self, writable: Sequence[Path]) -> list[Path]:
        """The folders a command must see: the layer too, unless it is writable to it."""
        layer = [] if any(self.layer.is_relative_to(path) for path in writable) else [self.layer]
        return [*self.shown, *layer]
