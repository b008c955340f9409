"""Typed details of a run that the runner writes and resume, reports and metrics read back.

They are stored under ``metadata`` in result.json (the keys the first schema used), so
older results still load; a plugin may add keys of its own beside them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BoilerplateInfo(BaseModel):
    source: str
    kind: Literal["local", "git", "image"]
    """A folder copied, a repository cloned, or a container image's working folder."""
    commit: str | None = None
    """The commit checked out, for git boilerplates: what the run really started from."""


class Checkpoint(BaseModel):
    phase_index: int
    phase: str
    archive: str
    """Path of the .tar.gz, relative to the run directory (absolute when inherited)."""


class RunMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    attempt: int | None = None
    """Which repeat this run is (1-based), when the benchmark runs more than once."""
    isolation: str | None = None
    """'bwrap' or 'none': how the sandbox's commands were isolated."""
    boilerplate: BoilerplateInfo | None = None
    tests_at_start: int | None = None
    """Test functions the boilerplate came with (tests_written counts from here)."""
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    resumed_from: str | None = None
    """The run id this run continued from a checkpoint of."""
    batch: str | None = None
    """The logical run this one belongs to (--gaobench-batch / GAOBENCH_BATCH): the shards
    of one CI run share it."""
    session: str | None = None
    """The pytest session (or gao-dev run) that made this run, shared by its xdist
    workers: a benchmark's repeats are the runs of one session, never of several."""
    node_id: str | None = None
    """The pytest node id of the item that ran it (durations for pytest-split go by it)."""
    grading_dir: str | None = None
    """The folder (in the run folder) grading wrote its reports to: made for grading
    alone, under a name nobody could know while the agent worked."""
