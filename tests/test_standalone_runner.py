"""StandaloneRunner, the Python API of standalone mode, against the scripted API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter
from fake_anthropic import VALID_KEY, FakeAnthropic, message, text, tool, tool_turn

from pytest_gaobench import StandaloneRunner
from pytest_gaobench.metering.credentials import CredentialError


@pytest.fixture
def api(fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("GAOBENCH_CONFIG", "/nonexistent")
    return fake_anthropic


def test_a_missing_key_is_a_clear_error(api: FakeAnthropic, tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="no Anthropic API key"):
        StandaloneRunner(sandbox_root=tmp_path)


def test_validate_api_key_makes_one_real_call(api: FakeAnthropic, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(VALID_KEY + "\n")
    key_file.chmod(0o600)
    assert StandaloneRunner(api_key_file=key_file, sandbox_root=tmp_path).validate_api_key()
    assert not StandaloneRunner(api_key="sk-ant-wrong-" + "x" * 30,
                                sandbox_root=tmp_path).validate_api_key()
    assert len(api.key_checks) == 2


def test_run_benchmark_runs_the_anthropic_agent_and_saves_the_result(
        api: FakeAnthropic, tmp_path: Path) -> None:
    path = BenchmarkWriter(tmp_path / "project").write("calc")
    api.script(tool_turn(tool("write_file", path="calc.py", content=SOLUTION),
                         input_tokens=300, output_tokens=20),
               message(text("Done."), input_tokens=320, output_tokens=5))
    runner = StandaloneRunner(api_key=VALID_KEY, sandbox_root=tmp_path / "sandbox")
    result = runner.run_benchmark(path)
    assert result.passed and result.agent == "anthropic"
    assert result.metrics.usage.tokens_input == 620
    saved = tmp_path / "sandbox" / "runs" / result.run_id / "result.json"
    assert json.loads(saved.read_text())["status"] == "completed"
    for file in (tmp_path / "sandbox").rglob("*"):
        if file.is_file():
            assert VALID_KEY.encode() not in file.read_bytes(), file
