"""Shared fixtures for the plugin's own tests."""

from __future__ import annotations

import pytest
from benchmark_files import BenchmarkWriter
from fake_anthropic import fake_anthropic  # noqa: F401  (registers the fixture)
from postgres import postgres_url  # noqa: F401  (registers the fixture)


@pytest.fixture
def bench(pytester: pytest.Pytester) -> BenchmarkWriter:
    return BenchmarkWriter(pytester.path)
