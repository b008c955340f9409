"""The pytest face: options, collection, fixtures and reporting, wired to pytest's hooks.

This module is the ``pytest11`` entry point, loaded into every pytest run on the machine,
so it only wires and stays dormant unless used: the session object (isolation probe,
SIGTERM handler, agents, database) is made when a ``--gaobench-*`` option or ini key is
set, or when the first benchmark file is collected; until then nothing heavy is imported.
Settings are resolved in ``settings``, files become items in ``collect``, each item runs
through ``session``, and the end-of-session report lives in ``reporter``. The plugin may
import every other part; nothing else imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import hookspec
from .folders import folders_of
from .path_options import check_path_options
from .reporter import GaobenchReporter
from .settings import GaobenchSettings, add_options, gaobench_requested
from .state import existing_session, session_of

if TYPE_CHECKING:
    from ..agents import Agent
    from ..run.collector import MetricsCollector
    from ..sandbox.boilerplate import BoilerplateManager
    from ..sandbox.sandbox import Sandbox
    from .session import GaobenchSession


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """The agents' API keys, before pytest's session begins: a key that is missing,
    rejected or cannot be checked ends the run here, said once and plainly, with its own
    exit code (7; 9 for an API that is down or out of reach)."""
    if config.option.help or config.option.version or not gaobench_requested(config):
        return None
    from .api_key import KeyStop

    try:
        session_of(config).prepare_keys()
    except KeyStop as stopped:
        sys.stderr.write(f"{stopped.message}\n")
        return stopped.code
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gaobench: a benchmark collected from a YAML file")
    check_path_options(config)
    config.pluginmanager.register(GaobenchReporter(config), "gaobench-reporter")
    if gaobench_requested(config):
        session_of(config)  # now: usage errors and the isolation warning come at once


def pytest_sessionstart(session: pytest.Session) -> None:
    gaobench = existing_session(session.config)
    if gaobench is not None:
        gaobench.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    gaobench = existing_session(session.config)
    if gaobench is not None:
        gaobench.finish()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return True if folders_of(config).ignored(collection_path) else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not GaobenchSettings.of(parent.config).is_benchmark_file(file_path) \
            and not named_yaml_file(parent.config, file_path):
        return None
    from .collect import BenchmarkFile

    gaobench = session_of(parent.config)
    if not gaobench.started:
        gaobench.start()  # made during collection: sessionstart has passed
    return BenchmarkFile.from_parent(parent, path=file_path)


def named_yaml_file(config: pytest.Config, file_path: Path) -> bool:
    """A YAML file named on the command line is run even when its name does not match
    the benchmark patterns (in a folder, only matching files are)."""
    if file_path.suffix not in (".yaml", ".yml"):
        return False
    named = {(config.invocation_params.dir / arg.split("::")[0]).resolve()
             for arg in config.args}
    return file_path.resolve() in named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if existing_session(config) is not None:
        from .collect import reject_duplicate_names

        reject_duplicate_names(items)


# -- fixtures: each benchmark item gets its own; their teardown is the cleanup ------------

@pytest.fixture
def gaobench_session(request: pytest.FixtureRequest) -> GaobenchSession:
    return session_of(request.config)


@pytest.fixture
def gaobench_agent(request: pytest.FixtureRequest, gaobench_session: GaobenchSession) -> Agent:
    """A fresh agent for this item's run: the item's agent and model."""
    from .collect import BenchmarkItem

    item = request.node
    assert isinstance(item, BenchmarkItem)
    return gaobench_session.make_agent(item.agent_name, item.model)


@pytest.fixture
def gaobench_sandbox(request: pytest.FixtureRequest,
                     gaobench_session: GaobenchSession) -> Iterator[Sandbox]:
    from .collect import BenchmarkItem

    item = request.node
    assert isinstance(item, BenchmarkItem) and item.spec is not None
    sandbox = gaobench_session.new_sandbox(item.spec)
    yield sandbox
    gaobench_session.finish_sandbox(sandbox, item.gaobench_result)


@pytest.fixture
def gaobench_boilerplate(gaobench_session: GaobenchSession) -> BoilerplateManager:
    """Git boilerplates come through mirrors in <gaobench dir>/cache/git."""
    from ..sandbox.boilerplate import BoilerplateManager
    from ..sandbox.git_cache import GitCache

    return BoilerplateManager(git_cache=GitCache(gaobench_session.settings.dir / "cache" / "git"))


@pytest.fixture
def gaobench_metrics() -> MetricsCollector:
    from ..run.collector import MetricsCollector

    return MetricsCollector()
