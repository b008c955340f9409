"""Hooks other plugins may implement (registered by the gaobench plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .result import BenchmarkResult


@pytest.hookspec
def gaobench_result_ready(result: BenchmarkResult, item: pytest.Item) -> None:
    """Called once per benchmark run, after result.json is written and before cleanup.

    Use it to ship results elsewhere (a dashboard, a database, a chat message).
    """
