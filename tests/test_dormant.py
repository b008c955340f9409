"""The plugin is loaded into every pytest run on the machine: outside a benchmark session
it must cost nothing (no session, no bubblewrap probe or warning, no SIGTERM handler, none
of the heavy libraries imported)."""

from __future__ import annotations

import json

import pytest
from benchmark_files import BenchmarkWriter

PROBE = """
import json, signal, sys

def pytest_sessionfinish(session):
    handler = signal.getsignal(signal.SIGTERM)
    with open("probe.json", "w") as out:
        json.dump({"modules": sorted(sys.modules),
                   "sigterm": getattr(handler, "__module__", None) or repr(handler)}, out)
"""
HEAVY = ("sqlalchemy", "anthropic", "pydantic", "structlog", "git", "yaml", "coverage",
         "pytest_gaobench.plugin.session", "pytest_gaobench.run.runner")


def probe(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, object]]:
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return outcome, json.loads((pytester.path / "probe.json").read_text())


def loaded(found: dict[str, object], name: str) -> bool:
    modules = found["modules"]
    assert isinstance(modules, list)
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_an_unrelated_test_run_does_not_wake_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROBE)
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    outcome, found = probe(pytester)
    outcome.assert_outcomes(passed=1)
    _, without = probe(pytester, "-p", "no:gaobench")
    assert loaded(found, "pytest_gaobench.plugin")  # it is installed and loaded...
    woken = [name for name in HEAVY if loaded(found, name) and not loaded(without, name)]
    assert woken == []  # ...and imported nothing heavy
    assert found["sigterm"] == without["sigterm"]  # no handler of ours
    assert "bubblewrap" not in outcome.stdout.str() + outcome.stderr.str()
    assert not (pytester.path / ".gaobench").exists()


def test_a_benchmark_file_wakes_it(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    pytester.makeconftest(PROBE)
    bench.write("calc")
    outcome, found = probe(pytester)
    outcome.assert_outcomes(passed=1)
    assert loaded(found, "pytest_gaobench.plugin.session")
    assert (pytester.path / ".gaobench" / "results.db").exists()
