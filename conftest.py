"""What the whole repository's tests share: pytester, and the fixtures of tests/ (the
scripted API servers, a PostgreSQL server, benchmark projects written for a test). Never
plugin code: the plugin is pytest_gaobench, loaded by its entry point."""

from __future__ import annotations

import pytest

# pytester's in-process runs forget the modules first imported during them; SQLAlchemy's
# compiled parts break when imported a second time into the same process. The plugin
# imports SQLAlchemy only when a benchmark runs, so import it here, before any such run.
import sqlalchemy  # noqa: F401
from benchmark_files import BenchmarkWriter
from fake_anthropic import api, fake_anthropic  # noqa: F401  (registers the fixtures)
from fake_gemini import fake_gemini, gemini_api  # noqa: F401  (registers the fixtures)
from fake_openai import fake_openai, openai_api  # noqa: F401  (registers the fixtures)
from postgres import postgres_url  # noqa: F401  (registers the fixture)

pytest_plugins = ["pytester"]


@pytest.fixture
def bench(pytester: pytest.Pytester) -> BenchmarkWriter:
    return BenchmarkWriter(pytester.path)
