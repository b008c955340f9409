"""The pytest plugin: options, hooks and fixtures, wired to a GaobenchSession.

All real work lives in ``session.GaobenchSession`` and the modules it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import hookspec
from .agents import Agent
from .boilerplate import BoilerplateManager
from .collect import BenchmarkFile, BenchmarkItem
from .metrics import MetricsCollector
from .sandbox import Sandbox
from .session import SESSION_KEY, GaobenchSession
from .settings import add_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gaobench: a benchmark collected from a YAML file")
    session = GaobenchSession(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "gaobench-session")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    session = GaobenchSession.of(config)
    if collection_path.resolve().is_relative_to(session.settings.dir.resolve()):
        return True
    if session.folders.is_used_by_benchmark(collection_path):
        return True
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if GaobenchSession.of(parent.config).is_benchmark_file(file_path):
        return BenchmarkFile.from_parent(parent, path=file_path)
    return None




# -- fixtures: each benchmark item gets its own; their teardown is the cleanup ------------

@pytest.fixture
def gaobench_session(request: pytest.FixtureRequest) -> GaobenchSession:
    return GaobenchSession.of(request.config)


@pytest.fixture
def gaobench_agent(gaobench_session: GaobenchSession) -> Agent:
    return gaobench_session.make_agent()


@pytest.fixture
def gaobench_sandbox(request: pytest.FixtureRequest,
                     gaobench_session: GaobenchSession) -> Iterator[Sandbox]:
    item = request.node
    assert isinstance(item, BenchmarkItem)
    sandbox = gaobench_session.new_sandbox(item)
    yield sandbox
    gaobench_session.finish_sandbox(item, sandbox)


@pytest.fixture
def gaobench_boilerplate() -> BoilerplateManager:
    return BoilerplateManager()


@pytest.fixture
def gaobench_metrics() -> MetricsCollector:
    return MetricsCollector()
