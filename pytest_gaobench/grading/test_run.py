"""The project's own tests, run under coverage by the harness, reports kept outside.

JUnit XML and coverage data go to the grading folder and are read from there; a run
that collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox
from ..sandbox.untrusted import read_regular, read_regular_text
from .interpreter_first import SITECUSTOMIZE
from .out_of_process import SOLUTION_SOCKET, hosted_solution
from .solution_wire import SOCKET_VARIABLE

TEST_OMIT = "tests/*,test_*.py,*/tests/*,*/test_*.py,conftest.py,*/conftest.py,setup.py"
"""Relative to the workspace: test code, whose coverage is not the project's."""
COLLECT_SECONDS = 120.0


LAUNCHER = Path(__file__).parent / "launcher" / "run_tests.py"
"""The grader's launcher (see its docstring): in the harness's interpreter, isolated
(``-I``: no PYTHON* variables, no user site, nothing of the current folder on sys.path)
behind the interpreter-first finder; in a benchmark's environment, as its CI would run."""


def tests_argv(sandbox: Sandbox, where: str, workspace: Path, python_path: Sequence[str],
               tool: str, *args: str) -> list[str]:
    """``tool`` ``args`` under the launcher: the project on the path ``where`` (first, last
    or none), then the benchmark's ``python_path`` folders of the workspace with their .pth
    files. ``tool`` is ``pytest`` (``args`` are pytest's) or ``coverage`` (``args``: the rc
    file, data file, JSON report, source folder and omit patterns, then pytest's): pytest
    under coverage, and the JSON report written by the same process. In the harness's
    interpreter, isolated and behind the interpreter-first finder; in a benchmark's
    environment, its interpreter with no finder (the project's modules win there, as in
    its own CI) and nothing of the harness imported."""
    extra = os.pathsep.join(str(workspace / folder) for folder in python_path)
    if sandbox.toolchain is None:
        interpreter, finder = [sys.executable, "-I", "-B"], str(SITECUSTOMIZE)
    else:
        interpreter, finder = [str(sandbox.toolchain.python)], ""
    return [*interpreter, str(LAUNCHER), finder, where, str(workspace), extra, tool, *args]


def tests_network(sandbox: Sandbox) -> bool:
    """Whether the grader's test runs reach the network (``environment.test_network``)."""
    return sandbox.toolchain is not None and sandbox.toolchain.test_network


COLLECTED = re.compile(r"^(\d+) tests? collected|^no tests collected", re.MULTILINE)
REPORT_LIMIT = 64 * 1024 * 1024
"""The largest report (JUnit XML, coverage JSON) read back: the grader's folder is
writable by the code under test, so its files are read as hostile data."""
CONFIG_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class TestRun:
    """One pytest run under coverage, for a criterion."""

    name: str
    """The criterion: tests_must_pass (the workspace's tests) or grading_tests (hidden)."""
    tests: Path
    """The rootdir and working folder of the run; for hidden tests, also what pytest
    collects (the workspace's own tests are collected as its own config says)."""
    project_first: bool
    reports: Path
    """Where JUnit XML and coverage data go: the run's grading folder."""
    python_path: Sequence[str] = ()
    """The benchmark's ``python_path``: folders of the workspace added after the project."""
    solution: Path | None = None
    """The solution host's socket: the project stays off the grader's path, and its tests
    reach it through the ``solution`` fixture."""


def run_tests(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path
              ) -> tuple[CriterionResult, QualityMetrics]:
    """The workspace's own tests (``tests_must_pass``), or its ``test_command``."""
    timeout = config.success_criteria.test_timeout_seconds
    custom = config.success_criteria.test_command
    if custom:
        outcome = sandbox.run_shell(custom, timeout=timeout)
        detail = _exit_detail(outcome.exit_code, outcome.timed_out, timeout, outcome.tail(5))
        return CriterionResult(name="tests_must_pass", passed=outcome.ok,
                               detail=f"{custom}: {detail}"), QualityMetrics()
    run = TestRun("tests_must_pass", sandbox.workspace, project_first=True,
                  reports=grading_dir / "own",
                  python_path=config.success_criteria.python_path)
    return _run_under_coverage(run, sandbox, timeout)


def run_hidden_tests(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path
                     ) -> tuple[CriterionResult, QualityMetrics]:
    """The benchmark's grading tests, which the agent never saw: a fresh copy outside the
    workspace is their rootdir, so no conftest.py of the workspace is loaded, and a test
    file the agent wrote under the same name changes nothing."""
    source = config.grading_tests_dir
    assert source is not None
    copy = grading_dir / "hidden" / source.name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    timeout = config.success_criteria.test_timeout_seconds
    if config.success_criteria.grading_mode == "in_process":
        return _run_under_coverage(TestRun("grading_tests", copy, project_first=False,
                                           reports=grading_dir / "hidden",
                                           python_path=config.success_criteria.python_path),
                                   sandbox, timeout)
    log = grading_dir / "hidden" / "solution-host.log"
    with hosted_solution(sandbox, log) as socket_path:  # one that does not start is infra
        return _run_under_coverage(
            TestRun("grading_tests", copy, project_first=False,
                    reports=grading_dir / "hidden", solution=socket_path),
            sandbox, timeout)


def _run_under_coverage(run: TestRun, sandbox: Sandbox, timeout: float
                        ) -> tuple[CriterionResult, QualityMetrics]:
    run.reports.mkdir(parents=True, exist_ok=True)
    junit = run.reports / "tests.xml"
    data_file = run.reports / ".coverage"
    report = run.reports / "coverage.json"
    workspace = sandbox.workspace
    pytest_args = ["-q", *_pytest_settings(run.tests, run.reports),
                   f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    tests = [] if run.project_first else [str(run.tests)]
    rcfile = run.reports / "coveragerc"  # the harness's: no rc file of the workspace counts
    env, sockets = {}, {}
    if run.solution is None:
        where = "first" if run.project_first else "last"
        # No exclusion pragmas: `# pragma: no cover` on untested code would raise the number.
        rcfile.write_text("[run]\n[report]\nexclude_lines =\nexclude_also =\n",
                          encoding="utf-8")
        tool = ["coverage", str(rcfile), str(data_file), str(report), str(workspace),
                _omit(workspace, run.python_path), *pytest_args, *tests]
    else:  # nothing of the workspace runs here, so there is no coverage to measure
        where = "none"
        tool = ["pytest", *pytest_args, "-p", "pytest_gaobench.plugin.solution_fixture",
                *tests]
        sockets = {SOLUTION_SOCKET: run.solution}
        env = {SOCKET_VARIABLE: sandbox.socket_at(SOLUTION_SOCKET, run.solution)}
    argv = tests_argv(sandbox, where, workspace, run.python_path, *tool)
    outcome = sandbox.run(argv, timeout=timeout, cwd=run.tests, writable=[run.reports],
                          display=shlex.join(["python", "-m", "pytest", run.tests.name]),
                          env=env, sockets=sockets, network=tests_network(sandbox))
    report_root = junit_root(junit)
    quality = junit_counts(report_root)
    if run.solution is None:
        quality.coverage_percent = _coverage_percent(report)
    failing = failing_tests(report_root)

    ran = (quality.tests_total or 0) - (quality.tests_skipped or 0)
    if outcome.timed_out or (outcome.exit_code not in (0, 1, 5) and quality.tests_total is None):
        detail = _exit_detail(outcome.exit_code, outcome.timed_out, timeout, outcome.tail(5))
        passed = False
    elif quality.tests_total is None or quality.tests_total == 0:
        detail, passed = "no tests were collected", False
    elif ran == 0:
        detail, passed = f"all {quality.tests_total} tests were skipped", False
    else:
        failed = quality.tests_failed or 0
        passed = outcome.exit_code == 0 and failed == 0
        detail = (f"{quality.tests_passed} passed, {failed} failed, "
                  f"{quality.tests_skipped or 0} skipped")
        if failing:
            detail += f"; first failure: {failing[0]}"
        if not passed and failed == 0:
            detail += f"; pytest exited with {outcome.exit_code}: {outcome.tail(3)}"
    # The project's own tests run where the agent's code runs: their counts are its to
    # change (gao-dev check's forger shows it), which the detail says.
    label = "python -m pytest (in the agent's own test process)" if run.project_first \
        else f"hidden tests {run.tests.name}/"
    return CriterionResult(name=run.name, passed=passed, detail=f"{label}: {detail}",
                           failing_tests=failing), quality


def collected_tests(sandbox: Sandbox, reports: Path, timeout: float,
                    python_path: Sequence[str] = (), *, tree: Path | None = None,
                    cancel: threading.Event | None = None) -> int | None:
    """How many tests pytest collects from the workspace's own tests (``--collect-only``,
    in the sandbox, as grading runs them), not how many ``def test_`` the source has: tests
    under ``if False:`` or in files pytest does not collect are not tests. None when the
    collection says no number (or was cancelled). ``tree``: collect this folder instead (the
    boilerplate the workspace was copied from, shown read-only), so the agent may already
    be at work in the workspace."""
    reports.mkdir(parents=True, exist_ok=True)
    tree = tree or sandbox.workspace
    argv = tests_argv(sandbox, "first", tree, python_path, "pytest", "--collect-only", "-q",
                      f"--confcutdir={tree}", *_pytest_settings(tree, reports))
    shown = [tree] if tree != sandbox.workspace else []
    outcome = sandbox.run(argv, timeout=timeout, cwd=tree, writable=[reports], readable=shown,
                          display="python -m pytest --collect-only", cancel=cancel)
    found = COLLECTED.findall(outcome.stdout)
    if outcome.timed_out or not found:
        return None
    return int(found[-1] or 0)


def _pytest_settings(tests: Path, reports: Path) -> list[str]:
    """The grader's pytest options: no cache, not this plugin, ``tests`` the rootdir and,
    without a configuration of its own, an empty one (else pytest would climb out of the
    folder and use an outer project's)."""
    settings = ["-p", "no:cacheprovider", "-p", "no:gaobench", f"--rootdir={tests}"]
    if pytest_config_file(tests) is None:
        empty_ini = reports / "pytest.ini"
        empty_ini.write_text("[pytest]\n", encoding="utf-8")
        settings += ["-c", str(empty_ini)]
    return settings


def _omit(workspace: Path, python_path: Sequence[str]) -> str:
    """Test files, conftests and installed dependencies are not the code whose coverage
    counts."""
    patterns = [*TEST_OMIT.split(","), *(f"{folder}/*" for folder in python_path)]
    return ",".join(str(workspace / pattern) for pattern in patterns)


def junit_root(junit: Path) -> ET.Element | None:
    """The JUnit report's root, read as hostile data; None when there is none to read."""
    try:
        return ET.fromstring(read_regular(junit.parent, junit.name, REPORT_LIMIT))
    except (OSError, ET.ParseError):
        return None


def failing_tests(root: ET.Element | None, limit: int = 20) -> list[str]:
    """'node id: first line of the message' of each failed or erroring test (at most
    ``limit``), read from the JUnit report the grader wrote."""
    if root is None:
        return []
    found = []
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        message = (problem.get("message") or problem.text or "").strip().splitlines()
        found.append(f"{junit_node_id(case)}: {message[0][:300] if message else problem.tag}")
        if len(found) == limit:
            break
    return found


def junit_node_id(case: ET.Element) -> str:
    """The pytest node id of a JUnit test case (xunit1: its file, the dotted module and
    class names, and the test's name with its parameters)."""
    file, classname, name = case.get("file"), case.get("classname", ""), case.get("name", "")
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file.removesuffix(".py").replace("/", ".")
    inner = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
    return "::".join([file, *(inner.split(".") if inner else []), name])


def _exit_detail(code: int | None, timed_out: bool, timeout: float, tail: str) -> str:
    if timed_out:
        return f"timed out after {timeout:g}s"
    return f"exit code {code}" + (f": {tail}" if code != 0 and tail else "")


def _config_text(folder: Path, name: str) -> str | None:
    try:
        return read_regular_text(folder, name, CONFIG_LIMIT)
    except OSError:
        return None


def pytest_config_file(folder: Path) -> Path | None:
    """The file in ``folder`` pytest would take its configuration from, in pytest's order
    (pytest.ini, .pytest.ini, pyproject.toml, tox.ini, setup.cfg), if any (the workspace's
    files are read as hostile data)."""
    for name in ("pytest.ini", ".pytest.ini"):
        if _config_text(folder, name) is not None:
            return folder / name
    if "[tool.pytest" in (_config_text(folder, "pyproject.toml") or ""):
        return folder / "pyproject.toml"
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        text = _config_text(folder, name)
        if text is None:
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if parser.has_section(section):
            return folder / name
    return None


def junit_counts(root: ET.Element | None) -> QualityMetrics:
    if root is None:
        return QualityMetrics()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    try:
        total = sum(int(s.get("tests", 0)) for s in suites)
        failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skipped = sum(int(s.get("skipped", 0)) for s in suites)
    except ValueError:  # not a report pytest wrote
        return QualityMetrics()
    return QualityMetrics(tests_total=total, tests_failed=failed, tests_skipped=skipped,
                          tests_passed=total - failed - skipped)


def _coverage_percent(report: Path) -> float | None:
    try:
        data = json.loads(read_regular(report.parent, report.name, REPORT_LIMIT))
        return round(float(data["totals"]["percent_covered"]), 2)
    except (OSError, ValueError, KeyError, TypeError):
        return None
