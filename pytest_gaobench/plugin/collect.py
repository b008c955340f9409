"""Collection: each benchmark YAML file is a ``BenchmarkFile`` of ``BenchmarkItem``s.

Items are real ``pytest.Function``s, so fixtures, markers, ``-k``, xdist and JUnit all
work as for any test. A file that fails validation does not raise a collection error
(pytest would stop the whole session); it becomes an item that fails with the
validation message, and every other benchmark still runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..agents import Agent
from ..model.result import BenchmarkResult
from ..model.spec import NAME_PATTERN, BenchmarkConfig, SpecError, SpecIssue
from ..results.formatting import terminal_safe
from ..results.junit import junit_properties
from ..run.collector import MetricsCollector
from ..run.limits import longest_run_seconds
from ..run.runner import record_invalid_benchmark
from ..sandbox.boilerplate import BoilerplateManager
from ..sandbox.sandbox import Sandbox
from ..specfile.lines import line_of
from ..specfile.load import load_spec
from .folders import folders_of
from .session import GaobenchSession
from .settings import GaobenchSettings
from .state import session_of


class BenchmarkFailed(Exception):
    """Raised by an item whose run ended FAILED or TIMEOUT; carries the result."""

    def __init__(self, result: BenchmarkResult, result_path: Path | None) -> None:
        super().__init__(terminal_safe(result.reason or result.status.value))
        self.result = result
        self.result_path = result_path


class BenchmarkFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            spec = load_spec(self.path, folders_of(self.config).take_parse(self.path))
        except SpecError as error:
            yield BenchmarkItem.invalid(self, _fallback_name(self.path), error)
            return
        settings = GaobenchSettings.of(self.config)
        repeats = settings.repeat or spec.repeats
        for tag in spec.tags:
            self.config.addinivalue_line("markers", f"{tag}: benchmark tag")
        for agent, model, attempt in variants(settings, repeats):
            item = BenchmarkItem.from_parent(
                self, name=item_name(spec.name, settings, agent, model, attempt, repeats),
                callobj=run_benchmark, spec=spec, spec_error=None)
            item.agent_name, item.model = agent, model
            item.attempt = attempt if repeats > 1 else None
            if self.config.pluginmanager.hasplugin("timeout"):
                # A backstop only: the runner's own deadlines end the run well before this.
                backstop = backstop_seconds(spec, settings.timeout_grace)
                item.add_marker(pytest.mark.timeout(backstop, method="signal"))
            for tag in spec.tags:
                item.add_marker(tag)
            yield item


class BenchmarkItem(pytest.Function):
    """One benchmark run. ``spec`` is None when the file did not validate."""

    def __init__(self, *, spec: BenchmarkConfig | None, spec_error: SpecError | None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.spec_error = spec_error
        self.gaobench_result: BenchmarkResult | None = None
        self.attempt: int | None = None
        """Which repeat this is (1-based), when the benchmark runs more than once."""
        self.agent_name = "oracle"
        self.model: str | None = None
        """The agent and model of this item (one of the session's, when it compares)."""
        self.add_marker("gaobench")

    @classmethod
    def invalid(cls, parent: pytest.Collector, name: str, error: SpecError) -> BenchmarkItem:
        """An item that fails with ``error`` (failure_kind config) instead of running."""
        return cls.from_parent(parent, name=name, callobj=run_invalid_benchmark, spec=None,
                               spec_error=error)

    def record(self, result: BenchmarkResult) -> None:
        """The run's result is written: JUnit properties, the database, listening plugins."""
        self.gaobench_result = result
        self.user_properties.extend(junit_properties(result))
        session_of(self.config).database.save(result)
        self.ihook.pytest_gaobench_result_ready(result=result, item=self)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.spec_error.line if self.spec_error else None
        return self.path, (line - 1 if line else 0), f"benchmark: {self.name}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """The verdict first. (``style`` is Node's; Function's own version takes none.)"""
        if isinstance(excinfo.value, BenchmarkFailed):
            failure = excinfo.value
            # The first line is what pytest's short summary shows: make it the verdict.
            text = failure.result.headline() + "\n" + failure.result.summary()
            if failure.result_path:
                text += f"\n  result: {failure.result_path}"
            return terminal_safe(text)
        if isinstance(excinfo.value, SpecError):
            return f"invalid benchmark file (failure_kind: config)\n{excinfo.value}"
        return str(super().repr_failure(excinfo))


def variants(settings: GaobenchSettings, repeats: int
             ) -> Iterator[tuple[str, str | None, int]]:
    """Each (agent, model, attempt) a benchmark runs as: one item each."""
    for agent in settings.agents:
        for model in settings.models:
            for attempt in range(1, repeats + 1):
                yield agent, model, attempt


def item_name(benchmark: str, settings: GaobenchSettings, agent: str, model: str | None,
              attempt: int, repeats: int) -> str:
    """``name``, or ``name[agent-model-attempt]`` with only the parts that vary, as
    pytest names parametrized tests (so ``-k claude-code`` selects an agent's items)."""
    parts = [agent] if len(settings.agents) > 1 else []
    parts += [model or "default"] if len(settings.models) > 1 else []
    parts += [str(attempt)] if repeats > 1 else []
    return f"{benchmark}[{'-'.join(parts)}]" if parts else benchmark


def backstop_seconds(spec: BenchmarkConfig, grace: float) -> float:
    """The longest the run itself may take (every step's own limit), plus a grace."""
    return longest_run_seconds(spec) + grace


def _fallback_name(path: Path) -> str:
    """The benchmark's own name if the broken file still says it, else the file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str) and re.match(NAME_PATTERN, name):
        return name
    return re.sub(r"[^A-Za-z0-9_-]", "_", path.stem.removeprefix("bench_"))


def reject_duplicate_names(items: list[pytest.Item]) -> None:
    """Two files may not share a benchmark name: results and comparisons go by name.
    The second file's items become invalid items (failure_kind config)."""
    first_file: dict[str, Path] = {}
    for index, item in enumerate(items):
        if not isinstance(item, BenchmarkItem) or item.spec is None:
            continue
        owner = first_file.setdefault(item.spec.name, item.path)
        if owner != item.path:
            assert isinstance(item.parent, pytest.Collector)
            error = SpecError([SpecIssue(item.path, line_of(item.path, "name"), "name",
                                         f"benchmark name {item.spec.name!r} is already "
                                         f"used by {owner}")])
            items[index] = BenchmarkItem.invalid(item.parent, item.name, error)


# The item functions. Their parameters are the fixtures pytest provides.

def run_benchmark(request: pytest.FixtureRequest, gaobench_session: GaobenchSession,
                  gaobench_agent: Agent, gaobench_sandbox: Sandbox,
                  gaobench_boilerplate: BoilerplateManager,
                  gaobench_metrics: MetricsCollector) -> None:
    item = request.node
    assert isinstance(item, BenchmarkItem) and item.spec is not None
    result = gaobench_session.run(item.spec, node_id=item.nodeid, attempt=item.attempt,
                                  sandbox=gaobench_sandbox,
                                  boilerplate=gaobench_boilerplate, metrics=gaobench_metrics,
                                  agent=gaobench_agent, on_result=item.record)
    if not result.passed:
        raise BenchmarkFailed(result, gaobench_sandbox.run_dir / "result.json")


def run_invalid_benchmark(request: pytest.FixtureRequest,
                          gaobench_session: GaobenchSession) -> None:
    item = request.node
    assert isinstance(item, BenchmarkItem) and item.spec_error is not None
    item.record(record_invalid_benchmark(item.path, item.spec_error,
                                         gaobench_session.sandbox_manager, item.name))
    raise item.spec_error
