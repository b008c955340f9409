"""Shared fixtures for the plugin's own tests."""

from __future__ import annotations

import pytest
from benchmark_files import BenchmarkWriter


@pytest.fixture
def bench(pytester: pytest.Pytester) -> BenchmarkWriter:
    return BenchmarkWriter(pytester.path)
