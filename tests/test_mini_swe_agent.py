"""The mini-swe-agent agent with the real ``mini`` (through LiteLLM) against the scripted
OpenAI chat API, which serves its ``bash`` tool calls.

CI installs a pinned ``mini-swe-agent`` in a virtualenv of its own, linked onto PATH as
pipx does; these tests fail there, never skip, when it is missing.
"""

from __future__ import annotations

import json

import pytest
from benchmark_files import BenchmarkWriter, needs_cli, result_named
from fake_openai import VALID_OPENAI_KEY, FakeOpenAi, run
from test_claude_code import every_file_under, live_processes
from test_codex import WRITE_SOLUTION

pytestmark = needs_cli("mini", "mini-swe-agent", "pipx install mini-swe-agent")

SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
TRAJECTORY = "$HOME/mini-01-implementation.traj.json"


def mini(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=mini-swe-agent",
                                         "--gaobench-model=openai/gpt-5.5",
                                         "-p", "no:cacheprovider", *args)


def test_mini_swe_agent_solves_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    openai_api.script(
        run(WRITE_SOLUTION, input_tokens=2000, cached_tokens=500, output_tokens=50),
        run("printenv OPENAI_API_KEY; python -m pytest -q", input_tokens=2400,
            output_tokens=20),
        run(SUBMIT, input_tokens=2600, cached_tokens=2000, output_tokens=8))
    outcome = mini(pytester, "--junitxml=report.xml", "--gaobench-isolation=required")
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    assert (usage["tokens_input"], usage["tokens_cache_read"], usage["tokens_output"]) == (
        openai_api.served_total("input_tokens") - openai_api.served_total("cached_tokens"),
        openai_api.served_total("cached_tokens"), openai_api.served_total("output_tokens")
    ) == (4500, 2500, 78)
    assert usage["api_calls"] == usage["turns"] == 3 and usage["tool_calls"] == 3
    requests = openai_api.requests
    assert all(r["headers"]["authorization"] == f"Bearer {VALID_OPENAI_KEY}" for r in requests)
    assert requests[0]["body"]["model"] == "gpt-5.5"
    messages = requests[0]["body"]["messages"]
    assert messages[0]["role"] == "system" and "You are the developer" in messages[0]["content"]
    assert "Implement add in calc.py." in json.dumps(messages)
    shown = json.dumps(requests[-1]["body"]["messages"])
    assert "1 passed" in shown and "gaobench-run-" in shown  # tests ran; it holds a token
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_OPENAI_KEY.encode() not in path.read_bytes(), path


def test_a_linked_trajectory_is_not_followed(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    """The agent makes its trajectory's path a link to a file it wrote elsewhere, with
    invented tool calls: the harness reads no link, so tool calls stay unmeasured."""
    forged = {"info": {"exit_status": "Submitted"}, "messages": [
        {"role": "assistant", "tool_calls": [{"id": str(n)} for n in range(999)]}]}
    bench.write("calc")
    openai_api.script(
        run(WRITE_SOLUTION),
        run(f"echo '{json.dumps(forged)}' > $PWD/forged.json; "
            f"ln -sf $PWD/forged.json {TRAJECTORY}"),
        run(SUBMIT))
    outcome = mini(pytester)
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["usage"]["tool_calls"] is None
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    assert (run_dir / "agent-home" / "mini-01-implementation.traj.json").is_symlink()
    refused = [json.loads(line) for line in (run_dir / "transcript.jsonl").open()
               if '"agent_output_refused"' in line]
    assert refused and "refused" in refused[0]["reason"]


def test_the_turn_budget_is_minis_own_step_limit(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", budget={"max_turns": 2})
    openai_api.script(run("true"), run("true"), run(WRITE_SOLUTION), run(SUBMIT))
    outcome = mini(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "max_turns" in result["reason"]
    assert len(openai_api.requests) == 2


def test_a_hung_mini_swe_agent_times_out_with_nothing_left_running(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", timeout_seconds=20)
    marker = "gaobench-mini-timeout-marker"  # its own: other tests' agents sleep too
    openai_api.script(run(f"python3 -c 'import time; time.sleep(300)' {marker}",
                         output_tokens=9))
    outcome = mini(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert result["metrics"]["usage"]["tokens_output"] == 9
    assert live_processes(str(pytester.path / ".gaobench")) == []
    assert live_processes(marker) == []
