"""Unit tests of the result record: serialisation, summary, atomic writes, redaction."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_gaobench.logs.log import RunLog
from pytest_gaobench.logs.redaction import REDACTED, Redactor
from pytest_gaobench.model.metrics import Usage
from pytest_gaobench.model.result import (
    SCHEMA_VERSION,
    BenchmarkInfo,
    BenchmarkResult,
    CriterionResult,
    PhaseResult,
    PhaseStatus,
    write_atomically,
)
from pytest_gaobench.model.status import BenchmarkStatus, FailureKind
from pytest_gaobench.run.collector import MetricsCollector


def sample() -> BenchmarkResult:
    usage = Usage()
    usage.record_api_call(tokens_input=100, tokens_output=20, tokens_cache_read=5,
                          cost_usd=0.5)
    return BenchmarkResult(
        run_id="r1", benchmark=BenchmarkInfo(name="calc", version="2"),
        status=BenchmarkStatus.FAILED, failure_kind=FailureKind.CRITERIA,
        reason="success criteria not met", duration_seconds=1.5,
        phases=[PhaseResult(name="build", role="developer", status=PhaseStatus.COMPLETED,
                            duration_seconds=1.25, usage=usage)],
        criteria=[CriterionResult(name="tests_must_pass", passed=False, detail="1 failed")])


def test_json_round_trip_keeps_every_field() -> None:
    result = sample()
    data = json.loads(result.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["status"] == "failed" and data["failure_kind"] == "criteria"
    assert {"run_id", "benchmark", "start_time", "end_time", "duration_seconds", "phases",
            "metrics", "errors", "warnings", "metadata"} <= set(data)
    assert BenchmarkResult.from_json(result.to_json()) == result


def test_metadata_of_a_first_schema_result_loads_typed() -> None:
    data = json.loads(sample().to_json())
    data["metadata"] = {"attempt": 2, "boilerplate": {"kind": "git", "source": "file:///r",
                                                      "commit": "abc"},
                        "tests_at_start": 3, "plugin_key": "kept",
                        "checkpoints": [{"phase_index": 0, "phase": "plan",
                                         "archive": "checkpoints/00-plan.tar.gz"}]}
    loaded = BenchmarkResult.model_validate(data)
    assert loaded.metadata.attempt == 2 and loaded.metadata.tests_at_start == 3
    assert loaded.metadata.boilerplate is not None
    assert loaded.metadata.boilerplate.commit == "abc"
    assert loaded.metadata.checkpoints[0].phase == "plan"
    assert json.loads(loaded.to_json())["metadata"]["plugin_key"] == "kept"


def test_headline_is_the_verdict() -> None:
    assert sample().headline() == "FAILED (criteria): success criteria not met"
    done = sample().model_copy(update={"status": BenchmarkStatus.COMPLETED,
                                       "failure_kind": None, "reason": None})
    assert done.headline() == "COMPLETED"


def test_summary_reads_well() -> None:
    lines = sample().summary().splitlines()
    assert lines[0] == "calc [r1]: FAILED"
    assert lines[1] == "  reason: criteria: success criteria not met"
    assert "  phase build: completed 1.25s" in lines
    assert "  criterion tests_must_pass: FAIL - 1 failed" in lines


def test_usage_sums_and_unknown_cost_stays_unknown() -> None:
    collector = MetricsCollector()
    collector.phase("a").record_api_call(tokens_input=10, tokens_output=1, cost_usd=0.25)
    collector.phase("a").record_tool_call(error=True)
    collector.phase("b").record_api_call(tokens_input=5, tokens_output=2, cost_usd=None)
    total = collector.total()
    assert (total.api_calls, total.tokens_input, total.tokens_output) == (2, 15, 3)
    assert (total.tool_calls, total.tool_errors) == (1, 1)
    assert total.cost_usd is None and total.cost_unknown  # never a smaller, wrong number
    assert collector.phases["a"].cost_usd == 0.25
    assert Usage.summed([Usage()]).tokens_input is None  # nothing measured stays absent


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "result.json"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_run_log_redacts_secrets_in_events_and_transcript(tmp_path: Path) -> None:
    secret = "hunter2-very-secret-value"
    log = RunLog(tmp_path, Redactor([secret]), run_id="r1")
    log.events.info("tool", command=f"echo {secret}", nested={"k": [secret]})
    log.transcript("message", text=f"the key is {secret}", shaped="sk-ant-api03-abcdefghijkl")
    log.close()
    events = (tmp_path / "events.jsonl").read_text()
    transcript = (tmp_path / "transcript.jsonl").read_text()
    assert secret not in events and secret not in transcript
    assert "sk-ant-api03" not in transcript
    assert events.count(REDACTED) == 2 and transcript.count(REDACTED) == 2
    assert json.loads(events)["run_id"] == "r1"


def test_every_registered_metric_is_a_flat_metric_name() -> None:
    from pytest_gaobench.model.metrics import QualityMetrics, RunMetrics, WorkflowMetrics
    from pytest_gaobench.model.registry import METRICS

    usage = Usage()
    usage.record_api_call(tokens_input=1, tokens_output=1, tokens_cache_read=1,
                          tokens_cache_write=1, cost_usd=0.1)
    usage.record_turn()
    usage.record_tool_call(error=True)
    usage.record_retry()
    usage.record_intervention()
    quality = QualityMetrics(**{name: 1 for name in QualityMetrics.model_fields})
    workflow = WorkflowMetrics(phases_completed=1, phases_failed=1, artifacts_produced=1,
                               commits=1, one_shot_success=True)
    flat = RunMetrics(duration_seconds=1.0, usage=usage, quality=quality,
                      workflow=workflow).flat()
    assert [m.name for m in METRICS if m.name not in flat] == []


def test_tests_in_environments_and_vendored_folders_are_not_counted(tmp_path: Path) -> None:
    from pytest_gaobench.grading.workspace import count_test_functions

    test = "def test_a():\n    pass\n\n\nasync def test_b():\n    pass\n"
    for folder in ("tests", ".venv/lib/python3.11/site-packages/pkg/tests", "node_modules/x",
                   "env/lib/pkg", "build/lib", "src/pkg"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "test_x.py").write_text(test)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "src" / "pkg" / "helpers.py").write_text(test)  # not a test file
    assert count_test_functions(tmp_path) == 4  # tests/ and src/pkg/ only
