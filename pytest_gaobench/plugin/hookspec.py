"""Hooks other plugins may implement (registered by the gaobench plugin).

Named ``pytest_gaobench_*`` because pytest only looks for hook implementations
whose names start with ``pytest_`` (as pytest-xdist's ``pytest_xdist_*`` hooks do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..agents import Agent
    from ..model.result import BenchmarkResult


@pytest.hookspec
def pytest_gaobench_add_agents(agents: dict[str, Callable[..., Agent]]) -> None:
    """Add agent drivers by name (``agents[name] = factory``), for --gaobench-agent.

    Called once per session at configure time; ``factory(**options)`` returns an
    object implementing the ``Agent`` protocol.
    """


@pytest.hookspec
def pytest_gaobench_result_ready(result: BenchmarkResult, item: pytest.Item) -> None:
    """Called once per benchmark run, after result.json is written and before cleanup.

    Use it to ship results elsewhere (a dashboard, a database, a chat message).
    """
