"""gao-dev in standalone mode: every key source, and the exit codes for keys and outcomes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, run_results
from fake_anthropic import VALID_KEY, FakeAnthropic, error
from test_anthropic_agent import SOLVE


def gao_dev(cwd: Path, api: FakeAnthropic, *args: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    environ.update({"ANTHROPIC_BASE_URL": api.url, "GAOBENCH_CONFIG": "/nonexistent",
                    **(env or {})})
    return subprocess.run([sys.executable, "-m", "pytest_gaobench.cli", *args], cwd=cwd,
                          env=environ, capture_output=True, text=True, timeout=120)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.txt"
    path.write_text(VALID_KEY)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("source", ["--api-key", "--api-key-file", "env", "config"])
def test_each_key_source_runs_the_benchmark(
        pytester: pytest.Pytester, bench: BenchmarkWriter, fake_anthropic: FakeAnthropic,
        key_file: Path, tmp_path: Path, source: str) -> None:
    path = bench.write("calc")
    fake_anthropic.script(*SOLVE)
    args = ["sandbox", "run", str(path), "--standalone", "--max-turns", "10"]
    env: dict[str, str] = {}
    if source == "--api-key":
        args += ["--api-key", VALID_KEY]
    elif source == "--api-key-file":
        args += ["--api-key-file", str(key_file)]
    elif source == "env":
        env["ANTHROPIC_API_KEY"] = VALID_KEY
    else:
        config = tmp_path / "config.toml"
        config.write_text(f'api_key_file = "{key_file}"\n')
        env["GAOBENCH_CONFIG"] = str(config)
    done = gao_dev(pytester.path, fake_anthropic, *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert fake_anthropic.key_checks == [VALID_KEY]
    [result] = run_results(pytester.path)
    assert (result["status"], result["agent"]) == ("completed", "anthropic")
    assert VALID_KEY not in done.stdout + done.stderr


def test_run_standalone_with_a_rejected_key_exits_7(
        pytester: pytest.Pytester, bench: BenchmarkWriter, fake_anthropic: FakeAnthropic) -> None:
    path = bench.write("calc")
    done = gao_dev(pytester.path, fake_anthropic, "sandbox", "run-standalone", str(path),
                   env={"ANTHROPIC_API_KEY": "sk-ant-nope-" + "n" * 30})
    assert done.returncode == 7
    assert "was rejected (401 authentication_error)" in done.stdout + done.stderr
    assert fake_anthropic.requests == []  # no benchmark started


def test_an_api_that_is_down_at_the_key_check_exits_9_not_7(
        pytester: pytest.Pytester, bench: BenchmarkWriter,
        fake_anthropic: FakeAnthropic) -> None:
    """An outage says nothing about the key: its own exit code, and a message that does
    not blame the key."""
    path = bench.write("calc")
    done = gao_dev(pytester.path, fake_anthropic, "sandbox", "run-standalone", str(path),
                   env={"ANTHROPIC_API_KEY": VALID_KEY,
                        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    assert done.returncode == 9
    said = done.stdout + done.stderr
    # Nothing answered: the host is named, and waiting is not the advice.
    assert "could not reach the Anthropic API: nothing answered at 127.0.0.1 port 9 (" in said
    assert "check this machine's network and proxy, or ANTHROPIC_BASE_URL" in said
    assert "try again later" not in said
    assert "the key could not be checked" in said.lower() and "rejected" not in said
    fake_anthropic.models_reply = error(529, "overloaded_error", "Overloaded")
    done = gao_dev(pytester.path, fake_anthropic, "sandbox", "run-standalone", str(path),
                   env={"ANTHROPIC_API_KEY": VALID_KEY})
    assert done.returncode == 9, done.stdout + done.stderr
    assert "the Anthropic API is unavailable (529 overloaded_error)" in done.stderr
    assert "try again later" in done.stderr  # it answered that it is down: later may work
    assert fake_anthropic.requests == []  # no benchmark started


def test_agent_failure_exits_1(pytester: pytest.Pytester, bench: BenchmarkWriter,
                               fake_anthropic: FakeAnthropic) -> None:
    path = bench.write("calc")
    fake_anthropic.script(error(400, "invalid_request_error", "prompt is too long"))
    done = gao_dev(pytester.path, fake_anthropic, "sandbox", "run-standalone", str(path),
                   env={"ANTHROPIC_API_KEY": VALID_KEY})
    assert done.returncode == 1, done.stdout + done.stderr
    [result] = run_results(pytester.path)
    assert result["failure_kind"] == "agent"
    assert "400 invalid_request_error: prompt is too long" in result["reason"]
