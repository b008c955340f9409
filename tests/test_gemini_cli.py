"""The gemini-cli agent with the real Gemini CLI against the scripted Gemini API.

CI installs a pinned ``@google/gemini-cli``; these tests fail there, never skip, when the
CLI is missing (elsewhere they skip and say how to install it).
"""

from __future__ import annotations

import json
import os

import pytest
from benchmark_files import BenchmarkWriter, needs_cli, page_blocks, result_named
from fake_gemini import VALID_GEMINI_KEY, FakeGemini, run, say
from test_claude_code import every_file_under, live_processes
from test_codex import WRITE_SOLUTION

pytestmark = needs_cli("gemini", "the Gemini CLI", "npm install -g @google/gemini-cli")


def gemini(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=gemini-cli", "-p",
                                         "no:cacheprovider", *args)


def test_gemini_cli_solves_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, gemini_api: FakeGemini) -> None:
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    gemini_api.script(
        run(WRITE_SOLUTION, input_tokens=3000, cached_tokens=1000, output_tokens=60,
            thinking_tokens=40),
        run("printenv GEMINI_API_KEY; python -m pytest -q", input_tokens=3400,
            cached_tokens=2900, output_tokens=30),
        say("Done.", input_tokens=3600, cached_tokens=3300, output_tokens=12))
    outcome = gemini(pytester, "--junitxml=report.xml", "--gaobench-isolation=required")
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    served_input = gemini_api.served_total("input_tokens")
    cached = gemini_api.served_total("cached_tokens")
    output = gemini_api.served_total("output_tokens") + gemini_api.served_total(
        "thinking_tokens")
    assert (usage["tokens_input"], usage["tokens_cache_read"], usage["tokens_output"]) == (
        served_input - cached, cached, output)
    assert usage["api_calls"] == usage["turns"] == len(gemini_api.served)
    assert usage["tool_calls"] == 2
    shown = gemini_api.shell_outputs()
    assert any("1 passed" in output for output in shown), shown  # it ran the tests
    assert any("gaobench-run-" in output for output in shown)  # it holds a run token
    agent_calls = gemini_api.agent_requests()
    assert len(agent_calls) == 3
    first = agent_calls[0]
    assert first["headers"]["x-goog-api-key"] == VALID_GEMINI_KEY
    assert "/models/gemini-2.5-pro:" in first["path"]
    assert "You are the developer" in json.dumps(first["body"])  # the role prompt
    calls = page_blocks(pytester.path, result, "tool_use")  # what the report's page shows
    assert [call["name"] for call in calls] == ["run_shell_command"] * 2
    assert "cat > calc.py" in calls[0]["input"]["command"]
    texts = [block["text"] for block in page_blocks(pytester.path, result, "text")]
    assert texts[-1] == "Done."  # the streamed deltas joined
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_GEMINI_KEY.encode() not in path.read_bytes(), path


def test_no_user_gemini_settings_leak_in(
        pytester: pytest.Pytester, bench: BenchmarkWriter, gemini_api: FakeGemini,
        tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch) -> None:
    user_home = pytester.path.parent / "user-home"
    (user_home / ".gemini").mkdir(parents=True)
    (user_home / ".gemini" / "GEMINI.md").write_text("LEAKED USER MEMORY\n")
    (user_home / ".gemini" / "settings.json").write_text(
        json.dumps({"model": {"name": "gemini-user-choice"}}))
    monkeypatch.setenv("HOME", str(user_home))
    bench.write("calc")
    gemini_api.script(run(WRITE_SOLUTION), say())
    gemini(pytester).assert_outcomes(passed=1)
    sent = json.dumps(gemini_api.requests)
    assert "LEAKED USER MEMORY" not in sent and "gemini-user-choice" not in sent


def test_a_hung_gemini_cli_times_out_with_nothing_left_running(
        pytester: pytest.Pytester, bench: BenchmarkWriter, gemini_api: FakeGemini) -> None:
    bench.write("calc", timeout_seconds=20)
    gemini_api.script(say("", hang=True, input_tokens=700, output_tokens=9))
    outcome = gemini(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert len(gemini_api.agent_requests()) == 1  # it was waiting on its call when stopped
    assert live_processes(str(pytester.path / ".gaobench")) == []
