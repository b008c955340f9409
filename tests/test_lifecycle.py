"""End to end: real pytest sessions over benchmark files, graded for real."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, result_named, run_results


def status_history(root: Path, run_id: str) -> list[str]:
    data = json.loads((root / ".gaobench" / "runs" / run_id / "status.json").read_text())
    assert data["run_id"] == run_id
    return [change["status"] for change in data["history"]]


def test_passing_benchmark_completes_and_removes_its_sandbox(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest()
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "completed"
    assert result["failure_kind"] is None
    assert result["schema_version"] == 1
    assert [p["status"] for p in result["phases"]] == ["completed"]
    assert result["criteria"][0]["name"] == "tests_must_pass"
    assert "1 passed, 0 failed" in result["criteria"][0]["detail"]
    assert result["metrics"]["quality"]["tests_passed"] == 1
    assert status_history(pytester.path, result["run_id"]) == ["pending", "running", "completed"]
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    assert not (run_dir / "workspace").exists()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == "run_finished" and events[-1]["status"] == "completed"
    outcome.stdout.fnmatch_lines(["*gaobench summary*", "calc*COMPLETED*"])


def test_unmet_criteria_fail_and_keep_the_sandbox(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_files={"notes.txt": "did nothing useful\n"})
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "failed"
    assert result["failure_kind"] == "criteria"
    assert "tests_must_pass" in result["reason"]
    workspace = Path(result["workspace"])
    assert workspace.is_dir() and (workspace / "notes.txt").is_file()
    outcome.stdout.fnmatch_lines(["*criterion tests_must_pass: FAIL*0 passed, 1 failed*",
                                  f"*sandbox kept at {workspace}*"])
    assert status_history(pytester.path, result["run_id"]) == ["pending", "running", "failed"]


PHASES = [{"phase_name": "design", "prompt": "plan"},
          {"phase_name": "build", "prompt": "build", "expected_artifacts": ["calc.py"]}]


def test_phase_failure_stops_the_run_and_skips_later_phases(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", phases=PHASES, phase_oracles={"build": {"calc.py": SOLUTION}},
                phase_scripts={"design": "echo 'cannot design this' >&2\nexit 3\n"})
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "agent"
    assert [(p["name"], p["status"]) for p in result["phases"]] == [
        ("design", "failed"), ("build", "skipped")]
    assert "exited with 3" in result["phases"][0]["error"]
    assert "cannot design this" in result["phases"][0]["error"]
    assert result["errors"][0]["stage"] == "phase:design"
    assert result["criteria"] == []  # a stopped run is not graded


def test_continue_on_failure_runs_the_next_phase(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    phases = [dict(PHASES[0], continue_on_failure=True), PHASES[1]]
    bench.write("calc", phases=phases, phase_oracles={"build": {"calc.py": SOLUTION}},
                phase_scripts={"design": "exit 3\n"})
    pytester.runpytest().assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "completed"
    assert [p["status"] for p in result["phases"]] == ["failed", "completed"]
    assert "continue_on_failure" in result["warnings"][0]
    assert result["metrics"]["workflow"] == {"phases_completed": 1, "phases_failed": 1,
                                             "artifacts_produced": 1, "commits": None,
                                             "one_shot_success": False}


def test_max_errors_counts_a_failed_phase_that_was_continued(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    phases = [dict(PHASES[0], continue_on_failure=True), PHASES[1]]
    bench.write("calc", phases=phases, phase_oracles={"build": {"calc.py": SOLUTION}},
                phase_scripts={"design": "exit 3\n"},
                success_criteria={"tests_must_pass": True, "max_errors": 0})
    pytester.runpytest().assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "criteria"
    assert "max_errors (1 error(s), at most 0 allowed)" in result["reason"]


def test_missing_expected_artifact_fails_the_phase(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    phases = [{"phase_name": "build", "expected_artifacts": ["calc.py", "docs/*.md"]}]
    bench.write("calc", phases=phases)
    pytester.runpytest().assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "agent"
    assert result["phases"][0]["missing_artifacts"] == ["docs/*.md"]


def test_phase_timeout_ends_as_timeout(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="sleep 60\n",
                phases=[{"phase_name": "build", "timeout_seconds": 1}])
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert result["phases"][0]["status"] == "timeout"
    assert result["duration_seconds"] < 30  # the 60 s sleep was killed, not waited for
    outcome.stdout.fnmatch_lines(["TIMEOUT: phase 'build' timed out after 1.00s",
                                  "calc *: TIMEOUT",
                                  "*FAILED bench_calc.yaml::calc - TIMEOUT: phase 'build'*"])
    assert status_history(pytester.path, result["run_id"])[-1] == "timeout"


def test_benchmark_timeout_caps_the_phase(pytester: pytest.Pytester,
                                          bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="sleep 60\n", timeout_seconds=1)
    pytester.runpytest().assert_outcomes(failed=1)
    assert result_named(pytester.path, "calc")["status"] == "timeout"


def test_wall_time_budget_caps_the_benchmark_timeout(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="sleep 60\n", timeout_seconds=600)
    pytester.runpytest("--gaobench-max-wall-seconds", "1").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout" and result["duration_seconds"] < 30
    assert result["config"]["timeout_seconds"] == 1


def test_no_tests_or_all_skipped_is_not_a_pass(pytester: pytest.Pytester,
                                               bench: BenchmarkWriter) -> None:
    skipped = "import pytest\n\n\n@pytest.mark.skip\ndef test_later():\n    pass\n"
    bench.write("skips", oracle_files={"calc.py": SOLUTION, "tests/test_calc.py": skipped})
    bench.write("empty", oracle_files={"calc.py": SOLUTION, "tests/test_calc.py": "x = 1\n"})
    pytester.runpytest().assert_outcomes(failed=2)
    assert "all 1 tests were skipped" in result_named(pytester.path, "skips")["reason"]
    assert "no tests were collected" in result_named(pytester.path, "empty")["reason"]


def test_required_features_and_commands_are_checked(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    bench.write("calc", success_criteria={
        "required_features": ["calc.py", "docs/README.md"],
        "commands": [{"name": "imports", "run": "python -c 'import calc'"},
                     {"name": "lint", "run": "echo 'E501 line too long'; exit 1"}]})
    pytester.runpytest().assert_outcomes(failed=1)
    criteria = {c["name"]: c for c in result_named(pytester.path, "calc")["criteria"]}
    assert criteria["required_feature:calc.py"]["passed"]
    assert not criteria["required_feature:docs/README.md"]["passed"]
    assert criteria["command:imports"]["passed"]
    assert not criteria["command:lint"]["passed"]
    assert "E501 line too long" in criteria["command:lint"]["detail"]


def test_boilerplate_and_oracle_folders_are_not_collected(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")  # its boilerplate has tests/test_calc.py, failing by design
    outcome = pytester.runpytest("--collect-only", "-q")
    outcome.stdout.fnmatch_lines(["bench_calc.yaml::calc"])
    assert "test_calc.py" not in outcome.stdout.str()


def test_runs_are_not_collected_from_the_results_folder(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_files={})  # fails: the kept workspace holds a failing test
    pytester.runpytest().assert_outcomes(failed=1)
    second = pytester.runpytest()
    second.assert_outcomes(failed=1)  # the same benchmark, not the kept workspace's tests
    assert len(run_results(pytester.path)) == 2


def test_keyword_and_marker_selection(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("todo-app", tags=["smoke", "python"])
    bench.write("calc", tags=["slow"])
    pytester.runpytest("-k", "todo").assert_outcomes(passed=1)
    assert [r["benchmark"]["name"] for r in run_results(pytester.path)] == ["todo-app"]
    outcome = pytester.runpytest("-m", "slow", "--strict-markers")
    outcome.assert_outcomes(passed=1)
    assert "calc" in outcome.stdout.str() and "PytestUnknownMarkWarning" not in outcome.stdout.str()
    pytester.runpytest("-m", "gaobench and not smoke and not slow").assert_outcomes()


def test_junit_has_one_testcase_per_benchmark_with_properties(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("good", success_criteria={"tests_must_pass": True, "min_test_coverage": 50})
    bench.write("bad", oracle_files={})
    pytester.runpytest("--junitxml=report.xml").assert_outcomes(passed=1, failed=1)
    import xml.etree.ElementTree as ET

    cases = {c.get("name"): c for c in ET.parse(pytester.path / "report.xml").iter("testcase")}
    assert set(cases) == {"good", "bad"}
    good = {p.get("name"): p.get("value") for p in cases["good"].iter("property")}
    assert good["status"] == "completed"
    assert good["run_id"] == result_named(pytester.path, "good")["run_id"]
    assert float(good["duration_seconds"]) > 0
    assert "phase.implementation.seconds" in good
    assert float(good["coverage_percent"]) == 100.0
    assert "tokens_input" not in good and "cost_usd" not in good  # not measured: absent
    assert "failure_kind" not in good
    assert good["criterion.tests_must_pass"] == good["criterion.min_test_coverage"] == "passed"
    assert (good["criteria_passed"], good["criteria_failed"]) == ("2", "0")
    bad = {p.get("name"): p.get("value") for p in cases["bad"].iter("property")}
    assert bad["status"] == "failed" and bad["failure_kind"] == "criteria"
    assert cases["bad"].find("failure") is not None
    # The verdict and why, beside counts that are the project's own tests only.
    assert bad["criterion.tests_must_pass"] == "failed" and bad["criteria_failed"] == "1"
    assert "NotImplementedError" in bad["criterion.tests_must_pass.detail"]


def test_the_api_works_without_pytest(tmp_path: Path, bench: BenchmarkWriter) -> None:
    from pytest_gaobench import (
        BenchmarkRunner,
        BenchmarkStatus,
        BoilerplateManager,
        MetricsCollector,
        OracleAgent,
        SandboxManager,
        load_spec,
    )

    config = load_spec(bench.write("calc"))
    result = BenchmarkRunner(config, SandboxManager(tmp_path / "runs"), BoilerplateManager(),
                             MetricsCollector(), OracleAgent()).run()
    assert result.status is BenchmarkStatus.COMPLETED, result.summary()
    assert "calc" in result.summary() and "COMPLETED" in result.summary()
    run_dir = tmp_path / "runs" / "runs" / result.run_id
    assert json.loads((run_dir / "result.json").read_text())["status"] == "completed"
    assert not (run_dir / "workspace").exists()


def test_a_runner_runs_again_from_scratch(tmp_path: Path, bench: BenchmarkWriter) -> None:
    from pytest_gaobench import (
        BenchmarkRunner,
        BoilerplateManager,
        MetricsCollector,
        OracleAgent,
        SandboxManager,
        load_spec,
    )

    config = load_spec(bench.write("calc"))
    metrics = MetricsCollector()
    runner = BenchmarkRunner(config, SandboxManager(tmp_path), BoilerplateManager(), metrics,
                             OracleAgent())
    first, second = runner.run(), runner.run()
    assert first.passed and second.passed, second.summary()
    assert first.run_id != second.run_id
    assert [p.name for p in second.phases] == [p.name for p in first.phases]
    assert second.metrics.quality.tests_passed == first.metrics.quality.tests_passed
    assert second.metadata.tests_at_start == first.metadata.tests_at_start
    assert list(metrics.phases) == [p.name for p in second.phases]


CUSTOM_AGENTS = """
from pytest_gaobench.agents import InfraError


class Crashy:
    name = "crashy"

    def run_phase(self, ctx):
        raise ValueError("bug in the driver")


class Outage:
    name = "outage"

    def run_phase(self, ctx):
        raise InfraError("API unreachable after 5 retries")


def pytest_gaobench_add_agents(agents):
    agents["crashy"] = lambda **options: Crashy()
    agents["outage"] = lambda **options: Outage()
"""


@pytest.mark.parametrize(("agent", "reason"), [
    ("crashy", "the crashy agent crashed in phase 'design': ValueError: bug in the driver"),
    ("outage", "infrastructure failure in phase 'design': API unreachable after 5 retries"),
])
def test_driver_crashes_and_outages_are_infra_and_ignore_continue_on_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter, agent: str, reason: str) -> None:
    pytester.makeconftest(CUSTOM_AGENTS)
    bench.write("calc", phases=[dict(PHASES[0], continue_on_failure=True), PHASES[1]])
    pytester.runpytest("--gaobench-agent", agent).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert result["reason"] == reason
    assert [p["status"] for p in result["phases"]] == ["failed", "skipped"]
    assert result["agent"] == agent


def test_custom_metrics_commits_and_one_shot(pytester: pytest.Pytester,
                                             bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="""
        git init -q . && git -c user.name=a -c user.email=a@b add -A
        git -c user.name=a -c user.email=a@b commit -qm one
        echo '# more' >> calc.py && git -c user.name=a -c user.email=a@b commit -qam two
        """, metrics=[
            {"name": "size", "run": "python -c 'import json, os; "
                                    "print(json.dumps({\"bytes\": "
                                    "os.path.getsize(\"calc.py\")}))'"},
            {"name": "broken", "run": "echo not-json"}])
    pytester.runpytest("--junitxml=j.xml").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    size = len(SOLUTION) + len("# more\n")
    assert result["metrics"]["custom"] == {"size.bytes": float(size)}
    assert result["metrics"]["workflow"]["commits"] == 2
    assert result["metrics"]["quality"]["tests_written"] == 0  # the boilerplate's own test
    assert result["metrics"]["workflow"]["one_shot_success"] is True
    assert "metrics command 'broken' did not print JSON" in result["warnings"][0]
    junit = (pytester.path / "j.xml").read_text()
    assert f'name="custom.size.bytes" value="{float(size)}"' in junit


@pytest.mark.parametrize(("output", "count", "passed"), [
    ('[{"code": "E1"}, {"code": "E2"}]', 2, False),  # a JSON list, as ruff and eslint print
    ('{"errors": 1}', 1, True),
    ("a.py:1: E1\\nb.py:2: E2\\nc.py:3: E3", 3, False),  # plain lines
])
def test_lint_errors_are_counted_and_gated(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                           output: str, count: int, passed: bool) -> None:
    bench.write("calc", success_criteria={
        "tests_must_pass": True, "max_lint_errors": 1,
        "lint": {"run": f"printf '{output}'"}})
    pytester.runpytest().assert_outcomes(passed=int(passed), failed=int(not passed))
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["quality"]["lint_errors"] == count
    lint = next(c for c in result["criteria"] if c["name"] == "max_lint_errors")
    assert lint["passed"] is passed


def test_tests_written_counts_only_the_agents_tests(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    extra = ("from calc import add\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n\n\n"
             "def test_negative():\n    assert add(-1, 1) == 0\n")
    bench.write("calc", oracle_files={"calc.py": SOLUTION, "tests/test_more.py": extra})
    pytester.runpytest().assert_outcomes(passed=1)
    quality = result_named(pytester.path, "calc")["metrics"]["quality"]
    assert quality["tests_written"] == 2


def test_the_start_count_is_the_boilerplates_while_the_agent_changes_the_workspace(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """The boilerplate's tests are counted beside the agent's first phase, from the
    boilerplate's folder: an agent that deletes them at once does not change the count."""
    two = ("from calc import add\n\n\ndef test_one():\n    assert add(1, 0) == 1\n\n\n"
           "def test_two():\n    assert add(2, 0) == 2\n")
    bench.write("calc", phases=[{"phase_name": "wipe"}, {"phase_name": "write"}],
                phase_scripts={"wipe": "rm -r tests\n"},
                phase_oracles={"write": {"calc.py": SOLUTION, "tests/test_new.py": two}})
    pytester.runpytest().assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["metadata"]["tests_at_start"] == 1
    assert result["metrics"]["quality"]["tests_written"] == 1  # two now, one at the start


def test_html_report_lists_every_run(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("good")
    bench.write("bad", oracle_files={})
    pytester.runpytest("--gaobench-html", "out/report.html").assert_outcomes(passed=1, failed=1)
    page = (pytester.path / "out" / "report.html").read_text()
    found = re.search(r"<script type='application/json' id='gaobench-data'>(.*?)</script>",
                      page, re.S)
    assert found
    runs = {run["benchmark"]: run for run in json.loads(found.group(1))["runs"]}
    for name in ("good", "bad"):
        assert runs[name]["run_id"] == result_named(pytester.path, name)["run_id"]
    assert (runs["good"]["status"], runs["good"]["failure_kind"]) == ("completed", None)
    assert (runs["bad"]["status"], runs["bad"]["failure_kind"]) == ("failed", "criteria")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page)  # all inline


def test_a_run_whose_logs_cannot_be_opened_still_ends_with_a_result(
        tmp_path: Path, bench: BenchmarkWriter) -> None:
    """Its bookkeeping failing at the start (here events.jsonl is a folder) is the
    harness's failure, on disk and heard by the listeners, and the lock is let go."""
    from pytest_gaobench import (
        BenchmarkRunner,
        BenchmarkStatus,
        BoilerplateManager,
        MetricsCollector,
        OracleAgent,
        SandboxManager,
        load_spec,
    )
    from pytest_gaobench.run.ownership import owner_is_alive

    config = load_spec(bench.write("calc"))
    manager = SandboxManager(tmp_path)
    sandbox = manager.create("calc")
    (sandbox.run_dir / "events.jsonl").mkdir()
    heard: list[object] = []
    result = BenchmarkRunner(config, manager, BoilerplateManager(), MetricsCollector(),
                             OracleAgent(), sandbox=sandbox, listeners=[heard.append]).run()
    assert (result.status, result.failure_kind) == (BenchmarkStatus.FAILED, "infra")
    assert result.reason and "IsADirectoryError" in result.reason
    assert heard == [result]
    on_disk = json.loads((sandbox.run_dir / "result.json").read_text())
    assert (on_disk["status"], on_disk["failure_kind"]) == ("failed", "infra")
    assert not owner_is_alive(sandbox.run_dir)


def test_junit_counts_the_benchmarks_own_tests_apart_from_the_agents(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """The project's own tests pass while the hidden grading tests fail: JUnit says both,
    so a failed run never reads as all tests passing."""
    hidden = pytester.path / "hidden"
    hidden.mkdir()
    (hidden / "test_hidden.py").write_text(
        "from calc import add\n\n\ndef test_adds():\n    assert add(2, 3) == 5\n\n\n"
        "def test_adds_negatives():\n    assert add(-2, -3) == -6\n")
    bench.write("graded", success_criteria={"tests_must_pass": True,
                                            "grading_tests": "hidden"})
    pytester.runpytest("--junitxml=report.xml").assert_outcomes(failed=1)
    import xml.etree.ElementTree as ET

    [case] = ET.parse(pytester.path / "report.xml").iter("testcase")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert (properties["tests_passed"], properties["tests_failed"]) == ("1", "0")
    assert (properties["grading_tests_total"], properties["grading_tests_passed"],
            properties["grading_tests_failed"]) == ("2", "1", "1")
    assert properties["criterion.grading_tests"] == "failed"
