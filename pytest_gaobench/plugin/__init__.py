"""The pytest face: options, collection, fixtures and reporting, wired to pytest's hooks.

This module is the ``pytest11`` entry point and only wires: settings are resolved in
``settings``, files become items in ``collect``, each item runs through the session
object in ``session``, and the end-of-session report lives in ``reporter``. The
plugin may import every other part; nothing else imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..agents import Agent
from ..run.collector import MetricsCollector
from ..sandbox.boilerplate import BoilerplateManager
from ..sandbox.sandbox import Sandbox
from . import hookspec
from .collect import BenchmarkFile, BenchmarkItem, reject_duplicate_names
from .folders import BenchmarkFolders
from .path_options import check_path_options
from .reporter import GaobenchReporter
from .session import SESSION_KEY, GaobenchSession
from .settings import add_options

FOLDERS_KEY = pytest.StashKey[BenchmarkFolders]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gaobench: a benchmark collected from a YAML file")
    check_path_options(config)
    session = GaobenchSession(config)
    config.stash[SESSION_KEY] = session
    config.stash[FOLDERS_KEY] = BenchmarkFolders(config.rootpath,
                                                 session.settings.is_benchmark_file)
    config.pluginmanager.register(
        GaobenchReporter(session.settings, session.database,
                         is_worker=hasattr(config, "workerinput")), "gaobench-reporter")


def pytest_sessionstart(session: pytest.Session) -> None:
    GaobenchSession.of(session.config).start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    GaobenchSession.of(session.config).finish()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    settings = GaobenchSession.of(config).settings
    if collection_path.resolve().is_relative_to(settings.dir.resolve()):
        return True
    if config.stash[FOLDERS_KEY].is_used_by_benchmark(collection_path):
        return True
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if GaobenchSession.of(parent.config).settings.is_benchmark_file(file_path):
        return BenchmarkFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reject_duplicate_names(items)


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
    assert isinstance(item, BenchmarkItem) and item.spec is not None
    sandbox = gaobench_session.new_sandbox(item.spec)
    yield sandbox
    gaobench_session.finish_sandbox(sandbox, item.gaobench_result)


@pytest.fixture
def gaobench_boilerplate() -> BoilerplateManager:
    return BoilerplateManager()


@pytest.fixture
def gaobench_metrics() -> MetricsCollector:
    return MetricsCollector()
