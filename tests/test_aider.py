"""The aider agent with the real Aider (through LiteLLM) against the scripted OpenAI API.

CI installs a pinned ``aider-chat`` in a virtualenv of its own, linked onto PATH as pipx
does; these tests fail there, never skip, when it is missing (elsewhere they skip and say
how to install it). Aider edits files from its replies' text: the scripted reply is in
its "whole file" edit format.
"""

from __future__ import annotations

import json

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, needs_cli, result_named
from fake_openai import VALID_OPENAI_KEY, FakeOpenAi, failure, say
from test_claude_code import every_file_under, live_processes

pytestmark = needs_cli("aider", "Aider", "pipx install aider-chat")

WHOLE_FILE_EDIT = f"Here is the implementation.\n\ncalc.py\n```python\n{SOLUTION}```\n"


def aider(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=aider",
                                         "--gaobench-model=openai/gpt-5.5",
                                         "-p", "no:cacheprovider", *args)


def test_aider_solves_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    openai_api.script(say(WHOLE_FILE_EDIT, input_tokens=2500, cached_tokens=500,
                          output_tokens=70))
    outcome = aider(pytester, "--junitxml=report.xml", "--gaobench-isolation=required")
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    assert (usage["tokens_input"], usage["tokens_cache_read"], usage["tokens_output"]) == (
        openai_api.served_total("input_tokens") - openai_api.served_total("cached_tokens"),
        openai_api.served_total("cached_tokens"), openai_api.served_total("output_tokens")
    ) == (2000, 500, 70)
    assert usage["api_calls"] == usage["turns"] == 1
    assert usage["tool_calls"] is None  # Aider calls no tools: not measured, never 0
    assert usage["cost_usd"] == pytest.approx((2000 * 5.0 + 500 * 0.5 + 70 * 30.0) / 1e6)
    request = openai_api.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {VALID_OPENAI_KEY}"
    assert request["body"]["model"] == "gpt-5.5"
    assert request["body"]["stream"] is True  # streamed, its usage asked for by the proxy
    sent = json.dumps(request["body"]["messages"])
    assert "Implement add in calc.py." in sent and "You are the developer" in sent
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    log = (run_dir / "aider-01-implementation.log").read_text()
    assert "Applied edit to calc.py" in log
    assert "githubusercontent" not in log and "Max retries" not in log  # no price download
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_OPENAI_KEY.encode() not in path.read_bytes(), path


def test_an_api_that_refuses_the_key_midway_is_infra_not_finished_work(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc")
    # The key passes the check before the run; the API then refuses it (a revoked key).
    openai_api.script(failure(401, "invalid_api_key", "Incorrect API key provided"))
    outcome = aider(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "infra")
    assert "key_refused" in result["reason"]


def test_a_hung_aider_times_out_with_nothing_left_running(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", timeout_seconds=30)  # Aider starts in ~7s
    openai_api.script(say("", hang=True, output_tokens=9))
    outcome = aider(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert len(openai_api.requests) == 1  # Aider was waiting on its call when stopped
    # Aider's command line names its message file in the run folder.
    assert live_processes(str(pytester.path / ".gaobench")) == []
