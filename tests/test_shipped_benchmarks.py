"""The benchmarks shipped in benchmarks/: the oracle solves each, and the shipped cassette
replays todo-cli to the same grade with no network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           f"--gaobench-dir={tmp_path / 'gb'}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def results(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in (tmp_path / "gb").glob("runs/*/result.json")]


def test_shipped_cassette_replays_todo_cli(tmp_path: Path) -> None:
    cassette = ROOT / "benchmarks" / "cassettes" / "todo-cli.jsonl"
    recorded_calls = sum(1 for line in cassette.read_text().splitlines()
                         for block in json.loads(line)["content"]
                         if block["type"] == "tool_use")
    done = run_pytest(tmp_path, "benchmarks/bench_todo_cli.yaml", "--gaobench-agent=replay")
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = results(tmp_path)
    assert (result["status"], result["agent"]) == ("completed", "replay")
    usage = result["metrics"]["usage"]  # type: ignore[index]
    assert usage["tool_calls"] == recorded_calls and usage["tool_errors"] == 0


def test_every_shipped_benchmark_passes_with_the_oracle(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "benchmarks/")
    assert done.returncode == 0, done.stdout + done.stderr
    by_name = {r["benchmark"]["name"]: r for r in results(tmp_path)}  # type: ignore[index]
    assert {name: r["status"] for name, r in by_name.items()} == {
        "todo-cli": "completed", "calc-git": "completed", "kvstore-phases": "completed"}
    phases = by_name["kvstore-phases"]["phases"]
    assert [(p["name"], p["status"]) for p in phases] == [  # type: ignore[index,union-attr]
        ("planning", "completed"), ("implementation", "completed"), ("testing", "completed")]
    bundle = ROOT / "benchmarks" / "boilerplates" / "calc.bundle"
    heads = subprocess.run(["git", "bundle", "list-heads", str(bundle)], capture_output=True,
                           text=True, check=True).stdout
    v1 = next(line.split()[0] for line in heads.splitlines() if line.endswith("refs/tags/v1.0"))
    assert by_name["calc-git"]["metadata"]["boilerplate"]["commit"] == v1  # type: ignore[index]
