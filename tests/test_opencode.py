"""The opencode agent with the real opencode against the scripted OpenAI Responses API.

CI installs a pinned ``opencode-ai`` (its npm package carries the binary); these tests
fail there, never skip, when it is missing.
"""

from __future__ import annotations

import json

import pytest
from benchmark_files import BenchmarkWriter, needs_cli, page_blocks, result_named
from fake_anthropic import FakeAnthropic, message, text, tool, tool_turn
from fake_openai import VALID_OPENAI_KEY, FakeOpenAi, run, say
from test_claude_code import every_file_under, live_processes
from test_codex import WRITE_SOLUTION

pytestmark = needs_cli("opencode", "opencode", "npm install -g opencode-ai")


@pytest.fixture
def opencode_api(openai_api: FakeOpenAi) -> FakeOpenAi:
    openai_api.shell_tool = ("bash", "command")  # opencode's shell tool
    openai_api.answer_side_calls = True
    return openai_api


def opencode(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=opencode",
                                         "--gaobench-model=openai/gpt-5.5",
                                         "-p", "no:cacheprovider", *args)


def test_opencode_solves_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, opencode_api: FakeOpenAi) -> None:
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    opencode_api.script(
        run(WRITE_SOLUTION, input_tokens=3000, cached_tokens=1000, output_tokens=60),
        run("printenv OPENCODE_CONFIG_CONTENT; python -m pytest -q", input_tokens=3400,
            cached_tokens=2900, output_tokens=30),
        say("Done.", input_tokens=3600, cached_tokens=3300, output_tokens=12))
    outcome = opencode(pytester, "--junitxml=report.xml", "--gaobench-isolation=required")
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    assert (usage["tokens_input"], usage["tokens_cache_read"], usage["tokens_output"]) == (
        opencode_api.served_total("input_tokens") - opencode_api.served_total("cached_tokens"),
        opencode_api.served_total("cached_tokens"), opencode_api.served_total("output_tokens"))
    assert usage["api_calls"] == usage["turns"] == len(opencode_api.served)
    assert usage["tool_calls"] == 2
    shown = opencode_api.tool_outputs()
    assert any("1 passed" in output for output in shown), shown  # it ran the tests
    assert any("gaobench-run-" in output for output in shown)  # its config: a run token
    assert not any(VALID_OPENAI_KEY in output for output in shown)
    agent_calls = [r for r in opencode_api.requests if r["body"].get("tools")]
    assert agent_calls[0]["headers"]["authorization"] == f"Bearer {VALID_OPENAI_KEY}"
    assert agent_calls[0]["body"]["model"] == "gpt-5.5"
    assert "You are the developer" in json.dumps(agent_calls[0]["body"]["input"])
    calls = page_blocks(pytester.path, result, "tool_use")  # what the report's page shows
    assert [call["name"] for call in calls] == ["bash"] * 2
    assert "cat > calc.py" in calls[0]["input"]["command"]
    outputs = page_blocks(pytester.path, result, "tool_result")
    assert any("1 passed" in str(output["content"]) for output in outputs)
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_OPENAI_KEY.encode() not in path.read_bytes(), path


def test_a_hung_opencode_times_out_with_nothing_left_running(
        pytester: pytest.Pytester, bench: BenchmarkWriter, opencode_api: FakeOpenAi) -> None:
    bench.write("calc", timeout_seconds=20)
    marker = "gaobench-opencode-timeout-marker"  # its own: other tests' agents sleep too
    opencode_api.script(run(f"python3 -c 'import time; time.sleep(300)' {marker}",
                         output_tokens=9))
    outcome = opencode(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert result["metrics"]["usage"]["tokens_output"] >= 9
    assert live_processes(str(pytester.path / ".gaobench")) == []
    assert live_processes(marker) == []


@pytest.mark.parametrize("model", ["claude-sonnet-5-5", "claude-never-heard-of-9"])
def test_opencode_runs_the_default_model_and_one_it_has_never_heard_of(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        model: str) -> None:
    """opencode runs offline: the run's model is declared in its config, so the README's
    default model (and any other) works against the Messages API."""
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    api.script(tool_turn(tool("bash", command=WRITE_SOLUTION,
                              description="write calc.py")),
               message(text("Done.")))
    pytester.runpytest_subprocess("--gaobench-agent=opencode", f"--gaobench-model={model}",
                                  "-p", "no:cacheprovider").assert_outcomes(passed=1)
    sent = [r for r in api.requests if r["path"].startswith("/v1/messages")]
    assert sent and all(r["body"]["model"] == model for r in sent)
