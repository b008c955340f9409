"""A benchmark's environment: its own Python and packages, or a container. Pure schema;
``environment`` builds the first, ``containers`` runs the second."""

from __future__ import annotations

import typing

from pydantic import Field, field_validator

from .strict import Strict

PROTECTED_VARIABLES = ("PATH", "HOME", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONNOUSERSITE")
"""Variables the harness sets for sandbox commands, which ``environment.env`` may not."""
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class PythonEnvironment(Strict):
    """The interpreter and packages the project is worked on and graded in, as its own CI
    would have them: the agent's ``python``, ``pip`` and ``pytest`` are this environment's,
    and grading runs its pytest. The interpreter and ``packages`` are built once per
    machine (in ``.gaobench/cache/``) and shared read-only by every run; ``install`` runs
    per run, into the run's own layer."""

    python: str = Field(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
    """The Python version, quoted ("3.9" or "3.9.18"), found on the machine: pythonX.Y on
    PATH, pyenv's versions, uv's managed Pythons."""
    packages: list[str] = Field(default_factory=list)
    """pip requirements of the shared part (``pytest==7.4.4``, ``requests>=2,<3``), installed
    once with the harness's pip settings."""
    install: list[str] = Field(default_factory=list)
    """Shell commands run in the workspace with the network before the agent starts
    (``pip install -e .``); what they install goes into the run's own layer."""
    install_timeout_seconds: float = Field(default=1200, gt=0)
    """The limit of all ``install`` commands together; past it the run fails (infra)."""
    env: dict[typing.Annotated[str, Field(pattern=VARIABLE_PATTERN)], str] = Field(
        default_factory=dict)
    """Variables set for ``install``, the agent's commands and the tests."""
    test_network: bool = False
    """Whether the tests may reach the network at grading (suites that download data)."""

    @field_validator("python", mode="before")
    @classmethod
    def _version_quoted(cls, value: object) -> object:
        # YAML reads `python: 3.10` as the number 3.1: only the text says which is meant.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"write the version in quotes (python: \"{value}\"): YAML "
                             f"reads 3.10 as the number 3.1")
        return value

    @field_validator("env")
    @classmethod
    def _harness_variables_kept(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(name for name in value
                       if name in PROTECTED_VARIABLES or name.startswith("GAOBENCH_"))
        if taken:
            raise ValueError(f"{', '.join(taken)} cannot be set: the harness sets "
                             f"{'it' if len(taken) == 1 else 'them'} for the sandbox")
        return value

    @property
    def version(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.python.split("."))


class ContainerEnvironment(Strict):
    """A container the project is worked on and graded in: an image, or a Dockerfile built
    once per digest of its content and context. Every command of the run runs in one
    container of it (no network, no host root, no capabilities), the workspace mounted at
    ``workdir``; the ``verifier`` runs in a fresh one after the agent stopped."""

    image: str | None = None
    """An image on this machine (pulled when it is not here)."""
    dockerfile: str | None = None
    """A Dockerfile beside the benchmark file, built by podman or docker."""
    context: str | None = None
    """The build context folder (default: the Dockerfile's folder)."""
    workdir: str = Field(default="/app", pattern=r"^/")
    """Where the workspace is inside: the task's working folder. Without a boilerplate,
    the workspace starts as the image has this folder."""
    grader_network: bool = False
    """Whether the verifier may reach the network (a test.sh that installs its tools)."""
