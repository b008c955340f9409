"""The project's own tests, run under coverage by the harness, reports kept outside.

JUnit XML and coverage data go to the grading folder and are read from there; a run
that collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import configparser
import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox

TEST_OMIT = "tests/*,test_*.py,*/tests/*,*/test_*.py,conftest.py,*/conftest.py,setup.py"
COVERAGE_REPORT_SECONDS = 120.0


def run_tests(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path
               ) -> tuple[CriterionResult, QualityMetrics]:
    timeout = config.success_criteria.test_timeout_seconds
    custom = config.success_criteria.test_command
    if custom:
        outcome = sandbox.run_shell(custom, timeout=timeout)
        detail = _exit_detail(outcome.exit_code, outcome.timed_out, timeout, outcome.tail(5))
        return CriterionResult(name="tests_must_pass", passed=outcome.ok,
                               detail=f"{custom}: {detail}"), QualityMetrics()

    junit = grading_dir / "tests.xml"
    data_file = grading_dir / ".coverage"
    report = grading_dir / "coverage.json"
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:gaobench",
                   f"--junitxml={junit}", "--rootdir=."]
    if not _has_pytest_config(sandbox.workspace):
        # Without this, pytest would climb out of the sandbox and use an outer project's ini.
        empty_ini = grading_dir / "pytest.ini"
        empty_ini.write_text("[pytest]\n", encoding="utf-8")
        pytest_args += ["-c", str(empty_ini)]
    argv = [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}", "--source=.",
            f"--omit={TEST_OMIT}", *pytest_args]
    outcome = sandbox.run(argv, timeout=timeout, writable=[grading_dir])
    quality = _junit_counts(junit)
    if data_file.exists():
        sandbox.run([sys.executable, "-m", "coverage", "json", f"--data-file={data_file}",
                     "-o", str(report), "-q"], timeout=COVERAGE_REPORT_SECONDS,
                    writable=[grading_dir])
        quality.coverage_percent = _coverage_percent(report)

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
        if not passed and failed == 0:
            detail += f"; pytest exited with {outcome.exit_code}: {outcome.tail(3)}"
    display = shlex.join(["python", *pytest_args[:2]])
    return CriterionResult(name="tests_must_pass", passed=passed,
                           detail=f"{display}: {detail}"), quality


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
