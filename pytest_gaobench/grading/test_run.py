"""The project's own tests, run under coverage by the harness, reports kept outside.

JUnit XML and coverage data go to the grading folder and are read from there; a run
that collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox

TEST_OMIT = "tests/*,test_*.py,*/tests/*,*/test_*.py,conftest.py,*/conftest.py,setup.py"
"""Relative to the workspace: test code, whose coverage is not the project's."""
COVERAGE_REPORT_SECONDS = 120.0


# The grader's interpreter: isolated (-I: no PYTHON* variables, no user site, nothing of
# the current folder on sys.path at start), so no sitecustomize, coverage/ or pytest.py of
# the workspace can stand in for the grader; pytest and coverage are imported from the
# interpreter's own packages first, and only then does the project join sys.path (first
# for its own tests, as `python -m pytest` would put it; last for hidden tests, so it
# shadows nothing).
GUARDED_LAUNCHER = """\
import sys
import coverage.cmdline
import pytest
where, project = sys.argv.pop(1), sys.argv.pop(1)
sys.path.insert(0, project) if where == "first" else sys.path.append(project)
sys.argv[0] = "coverage"
sys.exit(coverage.cmdline.main())
"""


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
                  reports=grading_dir / "own")
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
    run = TestRun("grading_tests", copy, project_first=False, reports=grading_dir / "hidden")
    return _run_under_coverage(run, sandbox, config.success_criteria.test_timeout_seconds)


def _run_under_coverage(run: TestRun, sandbox: Sandbox, timeout: float
                        ) -> tuple[CriterionResult, QualityMetrics]:
    run.reports.mkdir(parents=True, exist_ok=True)
    junit = run.reports / "tests.xml"
    data_file = run.reports / ".coverage"
    report = run.reports / "coverage.json"
    workspace = sandbox.workspace
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:gaobench",
                   f"--junitxml={junit}", "-o", "junit_family=xunit1", f"--rootdir={run.tests}"]
    if not _has_pytest_config(run.tests):
        # Without this, pytest would climb out of the folder and use an outer project's ini.
        empty_ini = run.reports / "pytest.ini"
        empty_ini.write_text("[pytest]\n", encoding="utf-8")
        pytest_args += ["-c", str(empty_ini)]
    where = "first" if run.project_first else "last"
    argv = [sys.executable, "-I", "-c", GUARDED_LAUNCHER, where, str(workspace), "run",
            f"--data-file={data_file}", f"--source={workspace}", f"--omit={_omit(workspace)}",
            *pytest_args, *([] if run.project_first else [str(run.tests)])]
    outcome = sandbox.run(argv, timeout=timeout, cwd=run.tests, writable=[run.reports],
                          display=shlex.join(["python", "-m", "pytest", run.tests.name]))
    quality = _junit_counts(junit)
    if data_file.exists():
        sandbox.run([sys.executable, "-I", "-m", "coverage", "json",
                     f"--data-file={data_file}", "-o", str(report), "-q"],
                    timeout=COVERAGE_REPORT_SECONDS, cwd=run.reports, writable=[run.reports])
        quality.coverage_percent = _coverage_percent(report)
    failing = failing_tests(junit, run.tests)

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
    label = "python -m pytest" if run.project_first else f"hidden tests {run.tests.name}/"
    return CriterionResult(name=run.name, passed=passed, detail=f"{label}: {detail}",
                           failing_tests=failing), quality


def _omit(workspace: Path) -> str:
    """Test files and conftests are not the code whose coverage counts."""
    return ",".join(str(workspace / pattern) for pattern in TEST_OMIT.split(","))


def failing_tests(junit: Path, root: Path, limit: int = 20) -> list[str]:
    """'node id: first line of the message' of each failed or erroring test (at most
    ``limit``), read from the JUnit report the harness wrote."""
    try:
        cases = ET.parse(junit).getroot().iter("testcase")
    except (OSError, ET.ParseError):
        return []
    found = []
    for case in cases:
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        message = (problem.get("message") or problem.text or "").strip().splitlines()
        found.append(f"{_node_id(case)}: {message[0][:300] if message else problem.tag}")
        if len(found) == limit:
            break
    return found


def _node_id(case: ET.Element) -> str:
    file, classname, name = case.get("file"), case.get("classname", ""), case.get("name", "")
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file.removesuffix(".py").replace("/", ".")
    inner = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
    return "::".join(part for part in (file, inner, name) if part)


def _exit_detail(code: int | None, timed_out: bool, timeout: float, tail: str) -> str:
    if timed_out:
        return f"timed out after {timeout:g}s"
    return f"exit code {code}" + (f": {tail}" if code != 0 and tail else "")


def _has_pytest_config(workspace: Path) -> bool:
    if (workspace / "pytest.ini").is_file() or (workspace / ".pytest.ini").is_file():
        return True
    pyproject = workspace / "pyproject.toml"
    if pyproject.is_file() and "[tool.pytest" in pyproject.read_text(errors="replace"):
        return True
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        path = workspace / name
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError):
                continue
            if parser.has_section(section):
                return True
    return False


def _junit_counts(path: Path) -> QualityMetrics:
    if not path.is_file():
        return QualityMetrics()
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return QualityMetrics()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return QualityMetrics(tests_total=total, tests_failed=failed, tests_skipped=skipped,
                          tests_passed=total - failed - skipped)


def _coverage_percent(report: Path) -> float | None:
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        return round(float(data["totals"]["percent_covered"]), 2)
    except (OSError, ValueError, KeyError, TypeError):
        return None
