"""Beyond one machine: shards by pytest-split from real durations, one batch id, one
PostgreSQL or SQLite files merged, and the recipes in examples/ checked."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from benchmark_files import BenchmarkWriter, gao_dev

NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
REPO = Path(__file__).resolve().parent.parent



def write_suite(bench: BenchmarkWriter) -> None:
    for name in NAMES:
        bench.write(name)


def run_shards(root: Path, batch: str, db_for: Any) -> None:
    """Three shards as three processes at once, as three CI jobs would run them."""
    env = {**os.environ, "GAOBENCH_BATCH": batch}
    shards = [subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--splits", "3",
         "--group", str(group), f"--gaobench-db={db_for(group)}"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for group in (1, 2, 3)]
    for shard in shards:
        output = shard.communicate(timeout=300)[0].decode()
        assert shard.returncode == 0, output


def listed(root: Path, db: str, batch: str) -> list[dict[str, Any]]:
    done = gao_dev(root, "results", f"--db={db}", "list", "--batch", batch, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return list(json.loads(done.stdout))


def test_durations_come_from_the_database(pytester: pytest.Pytester,
                                          bench: BenchmarkWriter) -> None:
    write_suite(bench)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=len(NAMES))
    done = gao_dev(pytester.path, "results", "durations")
    durations = json.loads(done.stdout)
    assert set(durations) == {f"bench_{name}.yaml::{name}" for name in NAMES}
    assert all(seconds > 0 for seconds in durations.values())
    (pytester.path / ".test_durations").write_text(done.stdout)
    # pytest-split reads it: three groups that together hold every benchmark once (with
    # least_duration, as the docs advise: the default algorithm may leave a shard empty).
    groups = []
    for group in (1, 2, 3):
        collected = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q",
                                       "--splits", "3", "--group", str(group),
                                       "--splitting-algorithm", "least_duration")
        groups.append({line.split("::")[-1] for line in collected.outlines if "::" in line})
    assert sorted(name for group in groups for name in group) == sorted(NAMES)
    assert all(groups)


def test_three_shards_on_one_postgresql_are_one_batch(
        pytester: pytest.Pytester, bench: BenchmarkWriter, postgres_url: str) -> None:
    write_suite(bench)
    run_shards(pytester.path, "nightly-1", lambda group: postgres_url)
    rows = listed(pytester.path, postgres_url, "nightly-1")
    assert sorted(row["benchmark"] for row in rows) == sorted(NAMES)  # each exactly once
    assert {row["batch"] for row in rows} == {"nightly-1"}
    assert {row["status"] for row in rows} == {"completed"}


def test_shards_on_sqlite_files_merge_into_the_same_rows(pytester: pytest.Pytester,
                                                        bench: BenchmarkWriter) -> None:
    write_suite(bench)
    run_shards(pytester.path, "nightly-2", lambda group: f"shard-{group}.db")
    shards = [f"shard-{group}.db" for group in (1, 2, 3)]
    per_shard = [row["run_id"] for db in shards
                 for row in listed(pytester.path, db, "nightly-2")]
    merged = gao_dev(pytester.path, "results", "merge", *shards, "--into", "all.db")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    rows = listed(pytester.path, "all.db", "nightly-2")
    assert sorted(row["run_id"] for row in rows) == sorted(per_shard)
    assert sorted(row["benchmark"] for row in rows) == sorted(NAMES)
    again = gao_dev(pytester.path, "results", "merge", *shards, "--into", "all.db")
    assert again.returncode == 0 and " 0 added" in again.stdout
    assert len(listed(pytester.path, "all.db", "nightly-2")) == len(NAMES)

    # The next night's batch, gated against this one.
    run_shards(pytester.path, "nightly-3", lambda group: "all.db")
    gate = gao_dev(pytester.path, "results", "--db=all.db", "gate", "--batch", "nightly-3")
    assert gate.returncode == 0, gate.stdout
    assert f"batch nightly-3 against nightly-2: 0 regressed of {len(NAMES)}" in gate.stdout


def test_merging_a_newer_schema_is_refused(pytester: pytest.Pytester) -> None:
    with sqlite3.connect(pytester.path / "future.db") as db:
        db.executescript("CREATE TABLE gaobench_runs (run_id TEXT PRIMARY KEY, result_json TEXT);"
                         "CREATE TABLE gaobench_meta (key TEXT PRIMARY KEY, value TEXT);"
                         "INSERT INTO gaobench_meta VALUES ('schema_version', '99');")
    db.close()
    refused = gao_dev(pytester.path, "results", "merge", "future.db", "--into", "all.db")
    assert refused.returncode == 8
    assert "has schema 99, newer than this pytest-gaobench understands (4)" in refused.stdout


def test_the_github_workflow_is_valid() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
         "vendor.github-workflows", str(REPO / "examples" / "github-actions.yml")],
        capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    workflow = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
    shard = workflow["jobs"]["shard"]
    assert shard["strategy"]["matrix"]["group"] == [1, 2, 3]
    commands = " ".join(step.get("run", "") for step in shard["steps"])
    assert "--splits 3 --group ${{ matrix.group }}" in commands
    merge = " ".join(step.get("run", "") for step in workflow["jobs"]["merge"]["steps"])
    for needed in ("gao-dev results merge", "gao-dev results durations",
                   "gao-dev results gate --batch"):
        assert needed in merge


JOB_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "batch/v1"},
        "kind": {"const": "Job"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["completionMode", "completions", "parallelism", "template"],
            "properties": {
                "completionMode": {"const": "Indexed"},
                "completions": {"type": "integer", "minimum": 1},
                "parallelism": {"type": "integer", "minimum": 1},
                "backoffLimit": {"type": "integer", "minimum": 0},
                "template": {
                    "type": "object", "required": ["spec"],
                    "properties": {"spec": {
                        "type": "object", "required": ["containers", "restartPolicy"],
                        "properties": {
                            "restartPolicy": {"enum": ["Never", "OnFailure"]},
                            "containers": {"type": "array", "minItems": 1, "items": {
                                "type": "object", "required": ["name", "image"],
                                "properties": {
                                    "env": {"type": "array", "items": {
                                        "type": "object", "required": ["name"],
                                        "oneOf": [{"required": ["value"]},
                                                  {"required": ["valueFrom"]}]}}}}}}}}},
            },
        },
    },
}


def test_the_kubernetes_job_has_the_structure_of_an_indexed_job() -> None:
    job = yaml.safe_load((REPO / "examples" / "k8s-indexed-job.yaml").read_text())
    jsonschema.validate(job, JOB_SCHEMA)
    [container] = job["spec"]["template"]["spec"]["containers"]
    script = " ".join(container["args"])
    assert f"--splits {job['spec']['completions']}" in script
    assert "--group $((JOB_COMPLETION_INDEX + 1))" in script
    env = {item["name"]: item for item in container["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"
    assert "GAOBENCH_BATCH" in env


class Actions:
    """The workflow's own steps played here, as a runner would: each ``run`` through bash
    in the job's folder; the cache, artifacts and matrix as folders (what they keep between
    jobs and nights). Checkout, setup-python and pip install are what the test process
    already is."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workflow = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
        self.cache = root / "actions-cache"
        self.artifacts = root / "actions-artifacts"

    def play(self, job: str, batch: str, folder: Path, *, group: int | None = None,
             agent: str | None = None) -> list[subprocess.CompletedProcess[str]]:
        folder.mkdir(parents=True, exist_ok=True)
        done: list[subprocess.CompletedProcess[str]] = []
        failed = False
        for written in self.workflow["jobs"][job]["steps"]:
            if failed and "always()" not in str(written.get("if", "")):
                continue  # as Actions skips a job's steps after a failure, but `always()`
            step = yaml.safe_load(yaml.safe_dump(written).replace("${{ matrix.group }}",
                                                                  str(group)))
            uses, run, given = step.get("uses", ""), step.get("run", ""), step.get("with", {})
            if uses.startswith(("actions/checkout", "actions/setup-python")) or \
                    "pip install" in run or "apt-get" in run:
                continue
            if uses.startswith(("actions/cache/restore", "actions/cache/save")):
                source, target = (self.cache, folder) if "restore" in uses else \
                    (folder, self.cache)
                if (source / given["path"]).exists():
                    (target / given["path"]).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source / given["path"], target / given["path"])
            elif uses.startswith("actions/upload-artifact"):
                for pattern in given["path"].split():
                    for path in folder.glob(pattern):
                        shutil.copy(path, self.artifacts / path.name)
            elif uses.startswith("actions/download-artifact"):
                shutil.copytree(self.artifacts, folder / given["path"], dirs_exist_ok=True)
            else:
                script = run
                if agent is not None:  # the scripted API is not the point here: a built-in
                    script = script.replace("--gaobench-agent anthropic",
                                            f"--gaobench-agent {agent}")
                done.append(subprocess.run(
                    ["bash", "-eo", "pipefail", "-c", script], cwd=folder, text=True,
                    capture_output=True, timeout=300, check=False,
                    env={**os.environ, "GAOBENCH_BATCH": batch}))
                failed = failed or done[-1].returncode != 0
        return done

    def night(self, batch: str, agent: str, suite: Path) -> list[subprocess.CompletedProcess[str]]:
        self.artifacts.mkdir(exist_ok=True)
        shutil.rmtree(self.artifacts)
        self.artifacts.mkdir()
        for group in (1, 2, 3):
            shard = self.root / batch / f"shard-{group}"
            shutil.copytree(suite, shard)
            self.play("shard", batch, shard, group=group, agent=agent)
        return self.play("merge", batch, self.root / batch / "merge")


def test_the_workflow_keeps_its_baseline_and_gates_the_next_night(
        pytester: pytest.Pytester) -> None:
    """Two nights of the example workflow, its own commands: the first has nothing to
    compare with; the second, where every benchmark regressed, fails the merge job's gate,
    and both nights' report is uploaded."""
    suite = pytester.path / "repo"
    write_suite(BenchmarkWriter(suite / "benchmarks"))
    actions = Actions(pytester.path)
    first = actions.night("nightly-1", "oracle", suite)
    assert [step.returncode for step in first] == [0] * len(first), first[-1].stdout
    assert "no batch before nightly-1" in first[-1].stdout
    assert (actions.cache / ".gaobench" / "results.db").is_file()  # the baseline, kept

    second = actions.night("nightly-2", "nop", suite)
    gate = second[-1]
    assert gate.args[-1].startswith("gao-dev results gate"), gate.stdout + gate.stderr
    assert gate.returncode == 1
    assert f"batch nightly-2 against nightly-1: {len(NAMES)} regressed" in gate.stdout
    report = (actions.artifacts / "report.html").read_text()
    uploaded = str(actions.artifacts / "results.db")
    runs = [row["run_id"] for batch in ("nightly-1", "nightly-2")
            for row in listed(pytester.path, uploaded, batch)]
    assert len(runs) == 2 * len(NAMES) and all(run in report for run in runs)
