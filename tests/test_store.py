"""The results database and the results commands: list, show, compare, schema."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from benchmark_files import BenchmarkWriter, gao_dev, result_named

from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
from pytest_gaobench.model.status import BenchmarkStatus
from pytest_gaobench.results.compare import compare
from pytest_gaobench.results.store import ResultStore


def test_each_run_is_a_row_and_the_commands_read_them(pytester: pytest.Pytester,
                                                      bench: BenchmarkWriter) -> None:
    bench.write("good")
    bench.write("bad", oracle_files={})
    pytester.runpytest().assert_outcomes(passed=1, failed=1)
    good, bad = result_named(pytester.path, "good"), result_named(pytester.path, "bad")

    listed = json.loads(gao_dev(pytester.path, "results", "list", "--json").stdout)
    assert {(r["run_id"], r["status"], r["failure_kind"]) for r in listed} == {
        (good["run_id"], "completed", None), (bad["run_id"], "failed", "criteria")}
    assert all(r["duration_seconds"] > 0 for r in listed)

    shown = gao_dev(pytester.path, "results", "show", good["run_id"], "--json")
    assert json.loads(shown.stdout) == good
    people = gao_dev(pytester.path, "results", "show", bad["run_id"]).stdout
    assert people.startswith(f"bad [{bad['run_id']}]: FAILED")

    verdict = gao_dev(pytester.path, "results", "compare", good["run_id"], bad["run_id"])
    assert verdict.returncode == 1  # completed -> failed is a regression
    assert "status" in verdict.stdout and "regressed (threshold 10%)" in verdict.stdout
    missing = gao_dev(pytester.path, "results", "show", "no-such-run")
    assert missing.returncode == 8 and "no run no-such-run" in missing.stdout


def test_a_broken_database_costs_a_warning_not_the_run(pytester: pytest.Pytester,
                                                       bench: BenchmarkWriter) -> None:
    bench.write("calc")
    (pytester.path / "not-a-dir").write_text("a file where a folder should be\n")
    outcome = pytester.runpytest("--gaobench-db", "sqlite:///not-a-dir/results.db")
    outcome.assert_outcomes(passed=1, warnings=1)
    outcome.stdout.fnmatch_lines(["*was not stored in the database*result.json is on disk*"])
    assert result_named(pytester.path, "calc")["status"] == "completed"


def sample(run_id: str, status: BenchmarkStatus, tokens: int, coverage: float,
           seconds: float) -> BenchmarkResult:
    result = BenchmarkResult(run_id=run_id, benchmark=BenchmarkInfo(name="calc"), status=status)
    result.metrics.duration_seconds = seconds
    result.metrics.usage.record_api_call(tokens_input=tokens, tokens_output=0, cost_usd=None)
    result.metrics.quality.coverage_percent = coverage
    return result


def test_db_none_keeps_results_in_files_only(pytester: pytest.Pytester,
                                             bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest("--gaobench-db", "none").assert_outcomes(passed=1)
    assert result_named(pytester.path, "calc")["status"] == "completed"
    assert not (pytester.path / "none").exists()
    assert not (pytester.path / ".gaobench" / "results.db").exists()
    listed = gao_dev(pytester.path, "results", "--db", "none", "list")
    assert listed.returncode == 8 and "turned off" in listed.stdout
    assert not (pytester.path / "none").exists()


def test_compare_deltas_and_threshold() -> None:
    a = sample("a", BenchmarkStatus.COMPLETED, 10_000, 90.0, 10.0)
    within = sample("b", BenchmarkStatus.COMPLETED, 10_800, 85.0, 9.0)
    comparison = compare(a, within, threshold_percent=10)
    rows = {m.metric: m for m in comparison.metrics}
    assert rows["tokens_input"].delta == 800 and rows["tokens_input"].delta_percent == 8.0
    assert rows["coverage_percent"].delta == -5.0
    assert not comparison.regressed  # +8% tokens, -5.6% coverage: inside 10%
    worse = compare(a, sample("c", BenchmarkStatus.COMPLETED, 12_000, 90.0, 10.0), 10)
    assert worse.regressed and [m.metric for m in worse.metrics if m.regressed] == [
        "tokens_input"]
    assert "REGRESSED" in "\n".join(worse.table())
    less_coverage = compare(a, sample("d", BenchmarkStatus.COMPLETED, 10_000, 70.0, 10.0), 10)
    assert [m.metric for m in less_coverage.metrics if m.regressed] == ["coverage_percent"]
    # From completed to failed, with every number the same: the status row is the one
    # that regressed, and says so.
    failed = compare(a, sample("e", BenchmarkStatus.FAILED, 10_000, 90.0, 10.0), 10)
    assert failed.regressed and not any(m.regressed for m in failed.metrics)
    status_row = next(line for line in failed.table() if line.startswith("status"))
    assert status_row.split()[-3:] == ["completed", "failed", "REGRESSED"]


def test_store_round_trip_and_schema_version(tmp_path: Path) -> None:
    store = ResultStore(f"sqlite:///{tmp_path / 'r.db'}")
    result = sample("r1", BenchmarkStatus.FAILED, 5, 1.0, 2.0)
    store.save(result)
    store.save(result)  # saving again replaces the row
    assert [row["run_id"] for row in store.list()] == ["r1"]
    assert store.get("r1") == result
    store.close()
    reopened = ResultStore(f"sqlite:///{tmp_path / 'r.db'}")
    assert reopened.list()[0]["tokens_input"] == 5
    reopened.close()


FIRST_SCHEMA = """
CREATE TABLE gaobench_runs (run_id VARCHAR(200) PRIMARY KEY, benchmark VARCHAR(200) NOT NULL,
  status VARCHAR(20) NOT NULL, failure_kind VARCHAR(20), agent VARCHAR(100),
  start_time VARCHAR(40), duration_seconds FLOAT, api_calls INTEGER, tokens_input INTEGER,
  tokens_output INTEGER, tokens_cache_read INTEGER, tokens_cache_write INTEGER, cost_usd FLOAT,
  turns INTEGER, tool_calls INTEGER, tool_errors INTEGER, manual_interventions INTEGER,
  coverage_percent FLOAT, result_json TEXT NOT NULL);
CREATE TABLE gaobench_meta (key VARCHAR(50) PRIMARY KEY, value VARCHAR(200) NOT NULL);
INSERT INTO gaobench_meta VALUES ('schema_version', '1');
"""


def test_a_first_schema_database_gains_the_registry_columns(tmp_path: Path) -> None:
    import sqlite3

    old = sample("old", BenchmarkStatus.COMPLETED, 7, 50.0, 1.0)
    old.model = "claude-sonnet-5-5"
    old.metrics.usage.record_retry()
    old.metrics.quality.lint_errors = 4
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_SCHEMA)
        db.execute("INSERT INTO gaobench_runs (run_id, benchmark, status, tokens_input, "
                   "result_json) VALUES (?, ?, ?, ?, ?)",
                   ("old", "calc", "completed", 7, old.to_json()))
    db.close()
    store = ResultStore(f"sqlite:///{path}")
    [row] = store.list()
    assert (row["tokens_input"], row["retries"], row["lint_errors"]) == (7, 1, 4)
    assert row["model"] == "claude-sonnet-5-5"  # schema 4's column, filled from result_json
    store.save(sample("new", BenchmarkStatus.FAILED, 9, 40.0, 2.0))
    assert {r["run_id"] for r in store.list()} == {"old", "new"}
    store.close()
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM gaobench_meta").fetchone()
    db.close()
    assert version == ("4",)


def test_result_json_validates_against_the_published_schema(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest().assert_outcomes(passed=1)
    schema = json.loads(gao_dev(pytester.path, "schema", "result").stdout)
    jsonschema.validate(result_named(pytester.path, "calc"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"run_id": 3}, schema)
    spec_schema = json.loads(gao_dev(pytester.path, "schema", "spec").stdout)
    assert "workflow_phases" in spec_schema["required"]


def _open_and_save(url: str, run_id: str, barrier: Any) -> None:
    barrier.wait()  # every process creates the new database at the same moment
    store = ResultStore(url)
    store.save(sample(run_id, BenchmarkStatus.COMPLETED, 1, 1.0, 1.0))
    store.close()


def test_processes_creating_the_database_at_once_lose_no_row(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    url = f"sqlite:///{tmp_path / 'new.db'}"
    barrier = context.Barrier(6)
    workers = [context.Process(target=_open_and_save, args=(url, f"r{i}", barrier))
               for i in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 6
    store = ResultStore(url)
    assert sorted(row["run_id"] for row in store.list()) == [f"r{i}" for i in range(6)]
    store.close()


def test_postgresql_and_sqlite_give_the_same_compare(
        pytester: pytest.Pytester, bench: BenchmarkWriter, postgres_url: str) -> None:
    bench.write("good")
    bench.write("bad", oracle_files={})
    pytester.runpytest("--gaobench-db", postgres_url).assert_outcomes(passed=1, failed=1)
    good, bad = result_named(pytester.path, "good"), result_named(pytester.path, "bad")
    sqlite_url = f"sqlite:///{pytester.path / 'copy.db'}"
    copy = ResultStore(sqlite_url)
    for result in (good, bad):
        copy.save(BenchmarkResult.model_validate(result))
    copy.close()
    outputs = [gao_dev(pytester.path, "results", "--db", url, "compare", good["run_id"],
                       bad["run_id"], "--json") for url in (postgres_url, sqlite_url)]
    assert [o.returncode for o in outputs] == [1, 1]
    assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
    listed = json.loads(gao_dev(pytester.path, "results", "--db", postgres_url, "list",
                                "--json").stdout)
    assert {r["run_id"] for r in listed} >= {good["run_id"], bad["run_id"]}


def test_the_quick_sqlite_reader_gives_what_the_store_gives(tmp_path: Path) -> None:
    from pytest_gaobench.results.quick_list import quick_list, quick_results_json

    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = ResultStore(url)
    for n, status in enumerate((BenchmarkStatus.COMPLETED, BenchmarkStatus.FAILED)):
        result = sample(f"r{n}", status, 100 * (n + 1), 50.0 + n, 1.0 + n)
        result.metadata.batch = "b1"
        store.save(result)
    assert quick_list(url, None, 50, None) == store.list()
    assert quick_list(url, "calc", 1, "b1") == store.list("calc", 1, batch="b1")
    texts = quick_results_json(url, ["r1", "missing"])
    assert texts is not None and texts["missing"] is None
    assert BenchmarkResult.from_json(texts["r1"] or "") == store.get("r1")
    store.close()
    assert quick_list(f"sqlite:///{tmp_path / 'absent.db'}", None, 50, None) is None
