"""Metric models: usage, quality and workflow numbers of a phase or a run.

A metric nobody measured stays ``None`` (absent in JUnit, ``null`` in JSON), never a
fake 0: an oracle run makes no API calls, so it has no token counts at all.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


def _plus(total: int | None, amount: int) -> int:
    return (total or 0) + amount


class Usage(BaseModel):
    """What an agent consumed and did, in one phase or summed over a run.

    Counted on every turn, so assignments are not validated again: the ``record_*``
    methods take typed values, and numbers read from an agent's own files are checked
    where they are read."""

    api_calls: int | None = None
    tokens_input: int | None = None
    tokens_output: int | None = None
    tokens_cache_read: int | None = None
    tokens_cache_write: int | None = None
    cost_usd: float | None = None
    """None when no call was priced, or when any call's model had no known price."""
    cost_unknown: bool = False
    """True once a call could not be priced: the total cost is then unknown, not smaller."""
    turns: int | None = None
    tool_calls: int | None = None
    tool_errors: int | None = None
    retries: int | None = None
    manual_interventions: int | None = None

    def record_api_call(self, *, tokens_input: int, tokens_output: int,
                        tokens_cache_read: int = 0, tokens_cache_write: int = 0,
                        cost_usd: float | None) -> None:
        self.api_calls = _plus(self.api_calls, 1)
        self.add_tokens(tokens_input=tokens_input, tokens_output=tokens_output,
                        tokens_cache_read=tokens_cache_read,
                        tokens_cache_write=tokens_cache_write, cost_usd=cost_usd)

    def add_tokens(self, *, tokens_input: int = 0, tokens_output: int = 0,
                   tokens_cache_read: int = 0, tokens_cache_write: int = 0,
                   cost_usd: float | None) -> None:
        """Tokens of a call already counted (a stream's later usage events)."""
        self.tokens_input = _plus(self.tokens_input, tokens_input)
        self.tokens_output = _plus(self.tokens_output, tokens_output)
        self.tokens_cache_read = _plus(self.tokens_cache_read, tokens_cache_read)
        self.tokens_cache_write = _plus(self.tokens_cache_write, tokens_cache_write)
        if cost_usd is None:
            self.cost_unknown = True
            self.cost_usd = None
        elif not self.cost_unknown:
            self.cost_usd = (self.cost_usd or 0.0) + cost_usd

    def record_turn(self) -> None:
        self.turns = _plus(self.turns, 1)

    def record_tool_call(self, *, error: bool = False) -> None:
        self.tool_calls = _plus(self.tool_calls, 1)
        self.tool_errors = _plus(self.tool_errors, int(error))

    def record_retry(self) -> None:
        self.retries = _plus(self.retries, 1)

    def record_intervention(self) -> None:
        self.manual_interventions = _plus(self.manual_interventions, 1)

    @property
    def tokens_total(self) -> int | None:
        parts = [self.tokens_input, self.tokens_output, self.tokens_cache_read,
                 self.tokens_cache_write]
        return None if all(p is None for p in parts) else sum(p or 0 for p in parts)

    @classmethod
    def summed(cls, usages: list[Usage]) -> Usage:
        total = cls()
        for usage in usages:
            for name in _COUNTERS:
                value = getattr(usage, name)
                if value is not None:
                    setattr(total, name, _plus(getattr(total, name), value))
            if usage.cost_unknown:
                total.cost_unknown = True
        if not total.cost_unknown:
            costs = [u.cost_usd for u in usages if u.cost_usd is not None]
            total.cost_usd = sum(costs) if costs else None
        return total


_COUNTERS = ("api_calls", "tokens_input", "tokens_output", "tokens_cache_read",
             "tokens_cache_write", "turns", "tool_calls", "tool_errors", "retries",
             "manual_interventions")


class QualityMetrics(BaseModel):
    """Measured by the harness at grading time, never read from files the agent wrote."""

    tests_written: int | None = None
    """Test functions in the project now minus those the boilerplate came with."""
    tests_total: int | None = None
    tests_passed: int | None = None
    tests_failed: int | None = None
    tests_skipped: int | None = None
    coverage_percent: float | None = None
    lint_errors: int | None = None
    grading_tests_total: int | None = None
    """The benchmark's own tests run at grading (hidden grading tests, named tests), which
    the agent never wrote: the tests_* counts above are the project's own tests."""
    grading_tests_passed: int | None = None
    grading_tests_failed: int | None = None
    grading_tests_skipped: int | None = None

    def with_grading_tests(self, *runs: QualityMetrics) -> QualityMetrics:
        """These metrics, with the counts of the benchmark's own test runs added up."""
        measured = [run for run in runs if run.tests_total is not None]
        if not measured:
            return self
        return self.model_copy(update={
            f"grading_tests_{count}": sum(getattr(run, f"tests_{count}") or 0
                                          for run in measured)
            for count in ("total", "passed", "failed", "skipped")})


class WorkflowMetrics(BaseModel):
    phases_completed: int = 0
    phases_failed: int = 0
    artifacts_produced: int | None = None
    """Files matching the phases' expected_artifacts at the end of the run."""
    commits: int | None = None
    """Commits made in the workspace during the run (git boilerplates or agents that init)."""
    one_shot_success: bool | None = None
    """Completed with every phase passing first time and no manual intervention."""


class RunMetrics(BaseModel):
    """Everything measured in one run, grouped as the seed's four kinds."""

    duration_seconds: float | None = None
    phase_seconds: dict[str, float] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    quality: QualityMetrics = Field(default_factory=QualityMetrics)
    workflow: WorkflowMetrics = Field(default_factory=WorkflowMetrics)
    custom: dict[str, float] = Field(default_factory=dict)

    def flat(self) -> dict[str, float | int | str]:
        """Name -> value of every measured metric (the JUnit property names)."""
        values: dict[str, float | int | str | None] = {
            "duration_seconds": _rounded(self.duration_seconds),
            **{f"phase.{name}.seconds": _rounded(s) for name, s in self.phase_seconds.items()},
            **self.usage.model_dump(exclude={"cost_unknown"}),
            **self.quality.model_dump(),
            "phases_completed": self.workflow.phases_completed,
            "phases_failed": self.workflow.phases_failed,
            "artifacts_produced": self.workflow.artifacts_produced,
            "commits": self.workflow.commits,
            "one_shot_success": (None if self.workflow.one_shot_success is None
                                 else int(self.workflow.one_shot_success)),
            **{f"custom.{name}": value for name, value in self.custom.items()},
        }
        return {name: value for name, value in values.items() if value is not None}


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
