"""The quality numbers and criteria commands are the harness's, not the agent's: each attack
below (done by the oracle, as an agent would) used to raise the grade on the code before and
must not now; the honest work of the same benchmark still passes."""

from __future__ import annotations

from typing import Any

import pytest
from benchmark_files import PASSING_TEST, SOLUTION, BenchmarkWriter, result_named

SHADOW = "import sys\nsys.exit(0)\n"
"""A stand-in for a tool: says everything is fine."""


def criterion(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in result["criteria"] if c["name"] == name)


def test_a_criteria_command_runs_the_interpreters_tool_not_the_workspaces(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    commands = {"commands": [{"name": "build", "run": "python -m compileall -q ."},
                             {"name": "own-module", "run": "python -m greet"}]}
    honest = {"calc.py": SOLUTION, "greet.py": "print('hello')\n"}
    bench.write("honest", oracle_files=honest, success_criteria=commands)
    bench.write("shadowed", success_criteria=commands, oracle_files={
        **honest, "broken.py": "def add(a, b:\n", "compileall.py": SHADOW})
    bench.write("shadowed-package", success_criteria=commands, oracle_files={
        **honest, "broken.py": "def add(a, b:\n", "compileall/__init__.py": "",
        "compileall/__main__.py": SHADOW})
    pytester.runpytest().assert_outcomes(passed=1, failed=2)
    assert result_named(pytester.path, "honest")["status"] == "completed"
    for name in ("shadowed", "shadowed-package"):
        result = result_named(pytester.path, name)
        build = criterion(result, "command:build")
        assert not build["passed"] and "SyntaxError" in build["detail"], name
        assert criterion(result, "command:own-module")["passed"], name


LINT_TRICKS = {
    "a.py": "import os  # noqa\n",                       # a suppression comment
    "b.py": "# ruff: noqa\nimport sys\n",                # a file-wide one
    "c.py": "import json\n",                             # excluded by the workspace's config
    "ruff.toml": 'extend-exclude = ["c.py"]\n[lint]\nignore = ["F401"]\n',
    "d.py": "import re\n",                               # hidden by .gitignore
    ".gitignore": "d.py\n",
}


def test_lint_counts_with_the_harness_configuration(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    ruff = {"lint": {"tool": "ruff"}, "max_lint_errors": 0}
    bench.write("clean", success_criteria=ruff)
    bench.write("tricks", success_criteria=ruff,
                oracle_files={"calc.py": SOLUTION, **LINT_TRICKS},
                oracle_script="git init -q . 2>/dev/null || true\n")
    # The author's linter fails (an unknown rule): not measured, never 0. The agent's
    # broken ruff.toml is not what fails it: criteria tools read the boilerplate's config.
    own = {"lint": {"run": "ruff check --output-format=json --select=NOPE999 ."},
           "max_lint_errors": 0}
    bench.write("broken-config", success_criteria=own,
                oracle_files={"calc.py": SOLUTION + "import os\n",
                              "ruff.toml": "this is = = not toml\n"})
    pytester.runpytest().assert_outcomes(passed=1, failed=2)
    assert result_named(pytester.path, "clean")["metrics"]["quality"]["lint_errors"] == 0
    tricks = result_named(pytester.path, "tricks")
    assert tricks["metrics"]["quality"]["lint_errors"] == 4  # one unused import a file
    broken = result_named(pytester.path, "broken-config")
    assert broken["metrics"]["quality"]["lint_errors"] is None
    lint = criterion(broken, "max_lint_errors")
    assert not lint["passed"] and "lint not measured" in lint["detail"]
    assert "exited with 2" in lint["detail"]


UNTESTED = "\n\ndef mul(a, b):  # pragma: no cover\n    return a * b\n"
# The agent's conftest marks every line of the project as run.
COVERAGE_FORGER = """\
import pathlib

import coverage


def pytest_sessionfinish(session):
    current = coverage.Coverage.current()
    if current is not None:
        lines = {str(p.resolve()): range(1, 100) for p in pathlib.Path('.').glob('*.py')}
        current.get_data().add_lines(lines)
"""


def test_coverage_ignores_pragmas_and_can_be_asked_of_the_hidden_tests(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    hidden = bench.root / "hidden" / "calc"
    hidden.mkdir(parents=True)
    (hidden / "test_hidden.py").write_text(PASSING_TEST)
    own = {"tests_must_pass": True, "min_test_coverage": 90}
    bench.write("pragma", success_criteria=own, oracle_files={"calc.py": SOLUTION + UNTESTED})
    bench.write("forged", oracle_files={"calc.py": SOLUTION + UNTESTED.replace(
        "  # pragma: no cover", ""), "conftest.py": COVERAGE_FORGER}, success_criteria={
        **own, "grading_tests": "hidden/calc", "coverage_from": "grading_tests"})
    pytester.runpytest().assert_outcomes(failed=2)
    pragma = criterion(result_named(pytester.path, "pragma"), "min_test_coverage")
    assert not pragma["passed"]
    assert pragma["detail"].startswith("75.0% measured by the agent's own tests")
    forged = result_named(pytester.path, "forged")
    measured = criterion(forged, "min_test_coverage")
    assert not measured["passed"]
    assert measured["detail"].startswith("75.0% measured by the hidden grading tests")
    assert forged["metrics"]["quality"]["coverage_percent"] == 75.0


DEAD_TESTS = "if False:\n" + "".join(f"    def test_dead_{n}():\n        pass\n"
                                      for n in range(500))


def test_tests_written_counts_what_pytest_collects(pytester: pytest.Pytester,
                                                   bench: BenchmarkWriter) -> None:
    one_real = "from calc import add\n\n\ndef test_more():\n    assert add(1, 1) == 2\n"
    bench.write("calc", oracle_files={"calc.py": SOLUTION,
                                      "tests/test_more.py": one_real + DEAD_TESTS})
    bench.write("untested", success_criteria={}, oracle_files={
        "calc.py": SOLUTION, "tests/test_dead.py": DEAD_TESTS})
    pytester.runpytest().assert_outcomes(passed=2)
    assert result_named(pytester.path, "calc")["metrics"]["quality"]["tests_written"] == 1
    # Without a test run at grading, a collection counts them.
    assert result_named(pytester.path, "untested")["metrics"]["quality"]["tests_written"] == 0
