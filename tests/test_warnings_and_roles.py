"""Run warnings reach the terminal; phase roles are checked, and a benchmark may declare
its own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from benchmark_files import BenchmarkWriter, result_named
from fake_anthropic import FakeAnthropic, message, text


def test_run_warnings_are_in_the_summary_and_the_junit_file(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("priceless", model="claude-unknown-9", success_criteria={})
    api.script(message(text("Nothing to do.")))
    outcome = pytester.runpytest("--gaobench-agent=anthropic", "--junitxml=out.xml",
                                 "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)
    outcome.stdout.fnmatch_lines([
        "warnings:",
        "  priceless: no price known for model 'claude-unknown-9': its cost is reported as null",
        "  priceless: the benchmark has no success criteria: it passes whatever the agent does"])
    case = next(ET.parse(pytester.path / "out.xml").iter("testcase"))
    warnings = [p.get("value") for p in case.iter("property") if p.get("name") == "warning"]
    assert len(warnings) == 2
    assert result_named(pytester.path, "priceless")["metrics"]["usage"]["cost_usd"] is None


def test_a_role_typo_is_an_error_with_a_suggestion(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", phases=[{"phase_name": "build", "agent": "develper"}])
    outcome = pytester.runpytest("-p", "no:cacheprovider")
    outcome.assert_outcomes(failed=1)
    outcome.stdout.fnmatch_lines(["*workflow_phases[[]0].agent: unknown role 'develper': "
                                  "did you mean 'developer'?*"])
    assert result_named(pytester.path, "calc")["failure_kind"] == "config"


def test_a_benchmark_may_declare_its_own_roles(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc", roles={"QA lead": "You are the QA lead: break the code."},
                phases=[{"phase_name": "probe", "agent": "qa-lead"}], success_criteria={})
    api.script(message(text("Probed.")))
    pytester.runpytest("--gaobench-agent=anthropic", "-p", "no:cacheprovider"
                       ).assert_outcomes(passed=1)
    system = json.dumps(api.requests[0]["body"]["system"])
    assert "You are the QA lead: break the code." in system
