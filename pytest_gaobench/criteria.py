"""Success criteria, graded by the harness after the agent has stopped.

Each check runs in a fresh subprocess in the workspace; its reports (JUnit XML,
coverage data) are written to a grading folder outside the workspace and read from
there, so nothing the agent wrote or printed is taken as a verdict. A test run that
collects no tests, or skips them all, is not a pass.
"""

from __future__ import annotations

import ast
import configparser
import json
import shlex
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .metrics import QualityMetrics
from .result import CriterionResult
from .sandbox import Sandbox
from .spec import BenchmarkConfig

TEST_OMIT = "tests/*,test_*.py,*/tests/*,*/test_*.py,conftest.py,*/conftest.py,setup.py"


@dataclass
class Grading:
    criteria: list[CriterionResult]
    quality: QualityMetrics

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria)

    def failures(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.passed]


def matching_files(workspace: Path, pattern: str) -> list[Path]:
    """Files under the workspace matching a glob; links leading out of it do not count."""
    top = workspace.resolve()
    return sorted(p for p in workspace.glob(pattern)
                  if p.is_file() and p.resolve().is_relative_to(top))


def grade(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path, *, errors: int,
          manual_interventions: int) -> Grading:
    criteria = config.success_criteria
    grading_dir.mkdir(parents=True, exist_ok=True)
    results: list[CriterionResult] = []
    quality = QualityMetrics()

    for pattern in criteria.required_features:
        found = matching_files(sandbox.workspace, pattern)
        results.append(CriterionResult(
            name=f"required_feature:{pattern}", passed=bool(found),
            detail=f"{len(found)} file(s)" if found else "no file matches"))

    if criteria.tests_must_pass or criteria.min_test_coverage is not None:
        tests, quality = _run_tests(config, sandbox, grading_dir)
        if criteria.tests_must_pass:
            results.append(tests)
        if criteria.min_test_coverage is not None:
            measured = quality.coverage_percent
            results.append(CriterionResult(
                name="min_test_coverage",
                passed=measured is not None and measured >= criteria.min_test_coverage,
                detail=(f"{measured:.1f}% (need {criteria.min_test_coverage:g}%)"
                        if measured is not None else "coverage could not be measured")))

    if criteria.lint is not None:
        quality.lint_errors, detail = _lint(criteria.lint.run, criteria.lint.timeout_seconds,
                                            sandbox)
        if criteria.max_lint_errors is not None:
            passed = quality.lint_errors is not None and \
                quality.lint_errors <= criteria.max_lint_errors
            results.append(CriterionResult(
                name="max_lint_errors", passed=passed,
                detail=detail or f"{quality.lint_errors} lint error(s), at most "
                                 f"{criteria.max_lint_errors} allowed"))

    for command in criteria.commands:
        outcome = sandbox.run_shell(command.run, timeout=command.timeout_seconds)
        if outcome.timed_out:
            detail = f"timed out after {command.timeout_seconds:g}s"
        else:
            detail = f"exit code {outcome.exit_code}"
            if not outcome.ok and outcome.tail(3):
                detail += f": {outcome.tail(3)}"
        results.append(CriterionResult(name=f"command:{command.name}", passed=outcome.ok,
                                       detail=detail))

    if criteria.max_errors is not None:
        results.append(CriterionResult(
            name="max_errors", passed=errors <= criteria.max_errors,
            detail=f"{errors} error(s), at most {criteria.max_errors} allowed"))
    if criteria.max_manual_interventions is not None:
        limit = criteria.max_manual_interventions
        results.append(CriterionResult(
            name="max_manual_interventions", passed=manual_interventions <= limit,
            detail=f"{manual_interventions} intervention(s), at most {limit} allowed"))
    return Grading(results, quality)


def _run_tests(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path
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
                     "-o", str(report), "-q"], timeout=120, writable=[grading_dir])
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


def count_test_functions(workspace: Path) -> int:
    """Python test functions (def test_*) in test_*.py / *_test.py files, counted from source."""
    total = 0
    for path in workspace.rglob("*.py"):
        if ".git" in path.parts or not (path.name.startswith("test_")
                                         or path.name.endswith("_test.py")):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            continue
        total += sum(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     and node.name.startswith("test") for node in ast.walk(tree))
    return total


def _lint(script: str, timeout: float, sandbox: Sandbox) -> tuple[int | None, str]:
    """The number of lint errors, or None and why it could not be counted."""
    outcome = sandbox.run_shell(script, timeout=timeout)
    if outcome.timed_out:
        return None, f"lint command timed out after {timeout:g}s"
    text = outcome.stdout.strip()
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return len([line for line in text.splitlines() if line.strip()]), ""
    if isinstance(data, list):
        return len(data), ""
    if isinstance(data, dict) and isinstance(data.get("errors"), int):
        return int(data["errors"]), ""
    return None, "lint output is JSON but neither a list nor {\"errors\": N}"


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
