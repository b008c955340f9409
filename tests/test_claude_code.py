"""The claude-code agent with the real Claude Code CLI against the scripted Messages API.

CI installs a pinned ``@anthropic-ai/claude-code``; these tests fail there, never skip,
when the CLI is missing (elsewhere they skip and say how to install it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, needs_cli, result_named, run_results
from fake_anthropic import VALID_KEY, FakeAnthropic, message, text, tool, tool_turn

pytestmark = needs_cli("claude", "the Claude Code CLI", "npm install -g @anthropic-ai/claude-code")



def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=claude-code", "-p",
                                         "no:cacheprovider", *args)


def bash(command: str) -> dict[str, Any]:
    return tool("Bash", command=command, description="scripted step")


WRITE_SOLUTION = f"cat > calc.py <<'PY'\n{SOLUTION}PY"


def bash_results(api: FakeAnthropic) -> list[str]:
    """The output of each Bash call, as Claude Code sent it back to the API."""
    found = []
    for request in api.requests:
        last = request["body"]["messages"][-1]
        for block in last["content"] if isinstance(last["content"], list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                content = block.get("content")
                found.append(content if isinstance(content, str) else json.dumps(content))
    return found


def test_scripted_bash_calls_solve_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc", model="claude-sonnet-5-5", initial_prompt="Implement add in calc.py.")
    api.script(tool_turn(bash(WRITE_SOLUTION), input_tokens=1000, output_tokens=40,
                         cache_write=300),
               tool_turn(bash("python -m pytest -q"), input_tokens=1100, output_tokens=30,
                         cache_read=300),
               message(text("Done."), input_tokens=1200, output_tokens=10, cache_read=300))
    outcome = run(pytester)
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    served = {key: api.served_total(key) for key in
              ("input_tokens", "output_tokens", "cache_read_input_tokens",
               "cache_creation_input_tokens")}
    assert (usage["tokens_input"], usage["tokens_output"], usage["tokens_cache_read"],
            usage["tokens_cache_write"]) == tuple(served.values()) == (3300, 80, 600, 300)
    assert usage["api_calls"] == len(api.served) == 3
    assert usage["turns"] == 3 and usage["tool_calls"] == 2
    expected_cost = (3300 * 2.0 + 80 * 10.0 + 600 * 0.2 + 300 * 2.5) / 1_000_000
    assert usage["cost_usd"] == pytest.approx(expected_cost)
    assert any("1 passed" in out for out in bash_results(api))  # Claude Code ran the tests
    first = api.requests[0]
    assert first["headers"]["x-api-key"] == VALID_KEY  # the proxy put the real key back
    assert first["body"]["model"] == "claude-sonnet-5-5"
    assert "You are the developer" in json.dumps(first["body"]["system"])
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    stream = (run_dir / "claude-01-implementation.jsonl").read_text().splitlines()
    assert json.loads(stream[-1])["type"] == "result"
    kinds = [json.loads(line)["kind"] for line in
             (run_dir / "transcript.jsonl").read_text().splitlines()]
    assert kinds.count("api_call") == 3 and "request_setup" in kinds


def every_file_under(*roots: Path) -> list[Path]:
    return [path for root in roots if root.exists() for path in root.rglob("*")
            if path.is_file()]


NO_KEY_TEST = """\
import os


def test_grading_sees_no_key():
    assert not any(value.startswith("sk-ant-") for value in os.environ.values())
"""


def test_the_agent_holds_a_run_token_never_the_key(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    (pytester.path / "boilerplates" / "calc" / "tests" / "test_env.py").write_text(NO_KEY_TEST)
    api.script(tool_turn(bash("printenv ANTHROPIC_API_KEY; printenv | grep -c sk-ant- || true")),
               tool_turn(bash(WRITE_SOLUTION)), message(text("Done.")))
    outcome = run(pytester, "--junitxml=report.xml")
    outcome.assert_outcomes(passed=1)  # grading ran test_env.py: no key there either
    shown = bash_results(api)[0]
    assert shown.splitlines()[0].startswith("gaobench-run-") and shown.splitlines()[1] == "0"
    assert VALID_KEY not in shown
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_KEY.encode() not in path.read_bytes(), path


def live_processes(marker: str) -> list[str]:
    """Command lines of running processes that mention ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and proc.name != str(os.getpid()):
            found.append(cmdline)
    return found


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_a_phase_timeout_kills_the_whole_cli_tree_and_keeps_the_usage(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        isolation: str) -> None:
    marker = f"gaobench-timeout-marker-{isolation}"
    bench.write("calc", timeout_seconds=6, initial_prompt=marker)
    # (Claude Code refuses a plain long `sleep`; a program that waits is what agents run.)
    waits = f"python3 -c 'import time; time.sleep(300)' {marker}"
    api.script(tool_turn(bash(waits), input_tokens=700, output_tokens=9))
    outcome = run(pytester, f"--gaobench-isolation={isolation}")
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    usage = result["metrics"]["usage"]
    assert (usage["api_calls"], usage["tokens_input"], usage["tokens_output"]) == (1, 700, 9)
    assert live_processes(marker) == []  # neither claude nor its sleeping Bash is left


def test_usage_is_the_servers_and_a_call_cut_when_the_cli_is_killed_is_charged_its_limit(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    """What was served is counted; the stalled call, whose usage never came, is charged the
    output its max_tokens allowed (the provider bills it whether or not it was read)."""
    bench.write("calc", timeout_seconds=6)
    stalled = tool_turn(bash("true"), input_tokens=1500, output_tokens=60, cache_read=200)
    stalled.hang_after_events = 2  # message_start and the first block, then nothing
    api.script(tool_turn(bash("true"), input_tokens=400, output_tokens=20), stalled)
    run(pytester).assert_outcomes(failed=1)
    usage = result_named(pytester.path, "calc")["metrics"]["usage"]
    assert usage["api_calls"] == 2
    assert usage["tokens_input"] == api.served_total("input_tokens") == 1900
    assert usage["tokens_cache_read"] == api.served_total("cache_read_input_tokens") == 200
    limit = api.requests[-1]["body"]["max_tokens"]  # what Claude Code asked of the cut call
    assert usage["tokens_output"] == 20 + limit


def test_the_turn_budget_stops_it_as_the_agents_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(*[tool_turn(bash(f"echo step {n}")) for n in range(5)])
    run(pytester, "--gaobench-max-turns=2").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "max_turns" in result["reason"]
    stream = (pytester.path / ".gaobench" / "runs" / result["run_id"]
              / "claude-01-implementation.jsonl").read_text().splitlines()
    usage = result["metrics"]["usage"]
    assert usage["turns"] == json.loads(stream[-1])["num_turns"]  # as Claude Code counts
    assert usage["api_calls"] == 2 == len(api.requests)


def test_a_cost_budget_is_stopped_at_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(*[tool_turn(bash("echo spend"), input_tokens=500_000) for _ in range(5)])
    run(pytester, "--gaobench-max-cost-usd=3").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "max_cost_usd: this call may cost up to $1.28" in result["reason"]
    # Each call spends $1 of input; its worst case is $1.28 (Claude Code asks for up to
    # 128,000 output tokens): the third would pass $3 if it used them all, so it is refused.
    assert len(api.message_requests) == 2 == result["metrics"]["usage"]["api_calls"]
    assert result["metrics"]["usage"]["cost_usd"] <= 3


def test_a_missing_cli_is_a_config_failure_naming_the_install(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bench.write("calc")
    nothing = pytester.path / "empty-bin"
    nothing.mkdir()
    monkeypatch.setenv("PATH", str(nothing))  # (npm -g may put claude in /usr/bin)
    outcome = run(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config"
    assert "npm install -g @anthropic-ai/claude-code" in result["reason"]
    assert [p["status"] for p in result["phases"]] == ["skipped"]
    assert api.requests == []


@pytest.mark.parametrize("continued", [False, True])
def test_phases_start_fresh_sessions_unless_the_benchmark_continues_one(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        continued: bool) -> None:
    bench.write("calc", continue_session=continued,
                phases=[{"phase_name": "design", "prompt": "plan it", "agent": "architect"},
                        {"phase_name": "build", "prompt": "build it"}])
    api.script(message(text("Planned.")), tool_turn(bash(WRITE_SOLUTION)), message(text("Ok.")))
    run(pytester).assert_outcomes(passed=1)
    sessions = [r["headers"]["x-claude-code-session-id"] for r in api.requests]
    assert (sessions[0] == sessions[1]) is continued
    if continued:  # the second phase's conversation carries the first one's
        assert "Planned." in json.dumps(api.requests[1]["body"]["messages"])
    result = result_named(pytester.path, "calc")
    assert [p["usage"]["api_calls"] for p in result["phases"]] == [1, 2]


def test_two_agents_in_one_session_run_side_by_side_with_xdist(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc", model="claude-sonnet-5-5")
    api.script(tool_turn(tool("write_file", path="calc.py", content=SOLUTION),
                         input_tokens=100), message(text("Done.")), lane="sdk")
    api.script(tool_turn(bash(WRITE_SOLUTION), input_tokens=300), message(text("Done.")),
               lane="claude-code")
    outcome = run(pytester, "--gaobench-agent=anthropic", "-n", "2", "-v")
    outcome.assert_outcomes(passed=2)
    for agent in ("anthropic", "claude-code"):  # (in whichever order the workers finish)
        outcome.stdout.fnmatch_lines([f"*PASSED*calc?{agent}?*"])
    outcome.stdout.fnmatch_lines(["by agent and model:",
                                  "agent * model * runs * completed * pass rate*",
                                  "claude-code * claude-sonnet-5-5 * 1 * 1 * 100%*"])
    results = {r["agent"]: r for r in run_results(pytester.path)}
    assert set(results) == {"anthropic", "claude-code"}
    assert results["claude-code"]["metrics"]["usage"]["tokens_input"] == 400
    assert results["anthropic"]["metrics"]["usage"]["tokens_input"] == 200
    assert {r["model"] for r in results.values()} == {"claude-sonnet-5-5"}
