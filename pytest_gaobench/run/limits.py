"""How long a run may take in all: what a backstop outside the runner must allow."""

from __future__ import annotations

from ..grading.criteria import grading_seconds
from ..model.spec import BenchmarkConfig


def longest_run_seconds(config: BenchmarkConfig) -> float:
    """The setup commands' limits, the benchmark's own timeout plus the limit of every
    grading step (tests, lint, commands, custom metrics). Steps without a
    limit of their own (copying the boilerplate, checkpoint archives) are what a
    backstop's grace is for."""
    setup = sum(command.timeout_seconds for command in config.setup)
    return setup + config.timeout_seconds + grading_seconds(config)
