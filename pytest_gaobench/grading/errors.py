"""What stops grading before it can judge anything: never the agent's failure, and never a
criterion's (a run graded on a machine without git is not a failed run)."""

from __future__ import annotations


class GradingSetupError(RuntimeError):
    """Grading could not be set up: git missing, the boilerplate not made again, a grading
    patch that does not apply to it, a solution host that did not start. Infra."""
