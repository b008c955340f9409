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
