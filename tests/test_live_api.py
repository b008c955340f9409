"""One real run against the Anthropic API. Skipped unless GAOBENCH_LIVE=1 and a key is set,
so nobody spends money by running the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEY = os.environ.get("ANTHROPIC_API_KEY", "")

pytestmark = pytest.mark.skipif(
    not (KEY and os.environ.get("GAOBENCH_LIVE") == "1"),
    reason="live API test: set GAOBENCH_LIVE=1 and ANTHROPIC_API_KEY to run it")


def test_todo_cli_with_the_real_api(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks/bench_todo_cli.yaml", "-p",
         "no:cacheprovider", "--gaobench-agent=anthropic", "--gaobench-max-cost-usd=0.50",
         f"--gaobench-dir={tmp_path}", f"--junitxml={tmp_path / 'junit.xml'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    [path] = tmp_path.glob("runs/*/result.json")
    result = json.loads(path.read_text())
    assert result["failure_kind"] != "infra", result["reason"]
    assert result["metrics"]["usage"]["api_calls"] >= 1
    assert result["metrics"]["usage"]["tokens_input"] > 0
    leaks = [str(p) for p in tmp_path.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == [] and KEY not in done.stdout + done.stderr
