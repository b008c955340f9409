"""The anthropic agent end to end: the real SDK against a scripted local Messages API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, result_named, run_results
from fake_anthropic import VALID_KEY, FakeAnthropic, error, message, text, tool, tool_turn


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--gaobench-agent", "anthropic", "--gaobench-retry-base", "0.01",
                              "-p", "no:cacheprovider", *args)


SOLVE = [
    tool_turn(tool("write_file", path="calc.py", content=SOLUTION),
              input_tokens=1000, output_tokens=50, cache_write=500),
    tool_turn(tool("run_command", command="python -m pytest -q"),
              input_tokens=1200, output_tokens=30, cache_read=500),
    message(text("Done: add is implemented and tested."),
            input_tokens=1300, output_tokens=10, cache_read=600),
]


def tool_results(api: FakeAnthropic) -> list[dict[str, Any]]:
    """Every tool_result the agent sent back, in order."""
    return [block for request in api.requests for entry in request["body"]["messages"][-1:]
            for block in entry["content"]
            if isinstance(block, dict) and block.get("type") == "tool_result"]


def test_scripted_tool_calls_solve_a_benchmark_graded_for_real(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc", model="claude-sonnet-5-5",
                initial_prompt="Implement add in calc.py.")
    api.script(*SOLVE)
    outcome = run(pytester, "--junitxml=report.xml")
    outcome.assert_outcomes(passed=1)
    outcome.stdout.fnmatch_lines(["calc *COMPLETED *5,190 *$0.0094 *100.0% *3 *- *-"])
    result = result_named(pytester.path, "calc")
    assert result["status"] == "completed"
    usage = result["metrics"]["usage"]
    assert (usage["api_calls"], usage["turns"], usage["tool_calls"], usage["tool_errors"]) == (
        3, 3, 2, 0)
    assert (usage["tokens_input"], usage["tokens_output"], usage["tokens_cache_read"],
            usage["tokens_cache_write"]) == (3500, 90, 1100, 500)
    expected_cost = (3500 * 2.0 + 90 * 10.0 + 1100 * 0.2 + 500 * 2.5) / 1_000_000
    assert usage["cost_usd"] == pytest.approx(expected_cost)
    assert "1 passed" in tool_results(api)[1]["content"]  # the agent really ran the tests
    first = api.requests[0]["body"]
    assert first["model"] == "claude-sonnet-5-5"
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "You are the developer" in first["system"][0]["text"]
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "Implement add in calc.py." in first["messages"][0]["content"][0]["text"]
    case = next(ET.parse(pytester.path / "report.xml").iter("testcase"))
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["tokens_input"] == "3500" and props["api_calls"] == "3"
    assert float(props["cost_usd"]) == pytest.approx(expected_cost)
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    entries = [json.loads(line) for line in
               (run_dir / "transcript.jsonl").read_text().splitlines()]
    kinds = [entry["kind"] for entry in entries]
    assert kinds[:5] == ["request_setup", "request", "response", "tool_call", "tool_result"]
    assert kinds.count("response") == 3 and kinds.count("request_setup") == 1
    assert kinds.count("request") == 1  # tool results are their tool_result entries, once
    setup = entries[0]
    assert setup["model"] == "claude-sonnet-5-5" and "write_file" in setup["tools"]
    assert "You are the developer" in setup["system"][0]["text"]
    responses = [entry for entry in entries if entry["kind"] == "response"]
    assert all(entry["seconds"] >= 0 for entry in responses)
    assert [entry["request_id"] for entry in responses] == [
        "req_test_0001", "req_test_0002", "req_test_0003"]
    assert (entries[3]["tool_use_id"], entries[4]["tool_use_id"]) == (
        responses[0]["content"][0]["id"],) * 2  # a tool call and its result, by id
    assert entries[-1] == {**entries[-1], "kind": "final_message",
                           "text": "Done: add is implemented and tested."}


def test_rejected_key_stops_the_session_before_any_benchmark(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad_key = "sk-ant-wrong-" + "x" * 30
    monkeypatch.setenv("ANTHROPIC_API_KEY", bad_key)
    bench.write("calc")
    outcome = pytester.runpytest_subprocess("--gaobench-agent", "anthropic")
    assert outcome.ret == 7
    output = outcome.stdout.str() + outcome.stderr.str()
    assert "the API key from ANTHROPIC_API_KEY was rejected (401 authentication_error)" in output
    assert bad_key not in output
    assert api.key_checks == [bad_key] and api.requests == []
    assert not (pytester.path / ".gaobench" / "runs").exists()


def test_missing_key_stops_the_session(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                       api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    bench.write("calc")
    outcome = pytester.runpytest_subprocess("--gaobench-agent", "anthropic")
    assert outcome.ret == 7
    output = outcome.stdout.str() + outcome.stderr.str()
    # Said once and plainly: no pytest.exit's double report ("Exit:" and "! ... !").
    assert output.count("no Anthropic API key") == 1, output
    assert outcome.stderr.str().startswith("gaobench: no Anthropic API key: ")
    assert "_pytest" not in output and "Exit" not in output
    # The same under pytest-xdist, whose workers never start.
    spread = pytester.runpytest_subprocess("--gaobench-agent", "anthropic", "-n", "2")
    assert spread.ret == 7
    assert (spread.stdout.str() + spread.stderr.str()).count("no Anthropic API key") == 1


def test_429_with_retry_after_is_retried_and_counted(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(error(429, "rate_limit_error", headers={"retry-after": "0.02"}), *SOLVE)
    run(pytester).assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["usage"]["retries"] == 1
    assert result["metrics"]["usage"]["api_calls"] == 3  # the refused call is not a call
    events = (pytester.path / ".gaobench" / "runs" / result["run_id"] / "events.jsonl")
    retries = [e for e in map(json.loads, events.read_text().splitlines())
               if e["event"] == "api_retry"]
    assert [(r["delay"], r["reason"]) for r in retries] == [(0.02, "429 rate_limit_error")]


def test_overload_storm_is_an_infra_failure_not_the_agents(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(*[error(529, "overloaded_error") for _ in range(3)])
    run(pytester, "--gaobench-max-retries", "2").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert "3 attempts failed, the last with 529 overloaded_error" in result["reason"]
    assert result["metrics"]["usage"]["retries"] == 2


def test_bad_tool_calls_are_errors_returned_to_the_model(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(
        tool_turn(tool("write_file", path="calc.py")),  # malformed: no content
        tool_turn(tool("run_command", command="sleep 30", timeout_seconds=0.5)),
        tool_turn(tool("run_command", command="head -c 200000 /dev/zero | tr '\\0' y")),
        tool_turn(tool("read_file", path="/etc/hostname"),
                  tool("write_file", path="../escape.txt", content="x"),
                  tool("no_such_tool")),
        *SOLVE)
    run(pytester).assert_outcomes(passed=1)
    results = tool_results(api)
    assert results[0]["is_error"] and "missing required input content" in results[0]["content"]
    assert results[1]["is_error"] and "timed out after 0.5s" in results[1]["content"]
    assert len(results[2]["content"]) < 25_000 and "cut" in results[2]["content"]
    assert results[3]["is_error"] and "outside the project folder" in results[3]["content"]
    assert results[4]["is_error"] and "outside the project folder" in results[4]["content"]
    assert results[5]["is_error"] and "unknown tool 'no_such_tool'" in results[5]["content"]
    assert not (pytester.path / ".gaobench" / "runs" / "escape.txt").exists()
    usage = result_named(pytester.path, "calc")["metrics"]["usage"]
    assert (usage["tool_calls"], usage["tool_errors"]) == (8, 5)


@pytest.mark.parametrize(("option", "value", "reason"), [
    ("--gaobench-max-turns", "1", "max_turns: 1 turns used, the budget is 1"),
    ("--gaobench-max-tokens", "1000", "max_tokens: 1550 tokens used, the budget is 1000"),
    ("--gaobench-max-cost-usd", "0.001",
     f"max_cost_usd: ${(1000 * 2 + 50 * 10 + 500 * 2.5) / 1e6:.4f} spent, the budget is $0.001"),
])
def test_each_budget_stops_the_agent(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                     api: FakeAnthropic, option: str, value: str,
                                     reason: str) -> None:
    bench.write("calc", model="claude-sonnet-5-5")
    api.script(*SOLVE)
    run(pytester, option, value).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "agent"
    assert reason in result["reason"] and "budget exceeded" in result["reason"]


def test_budget_from_the_benchmark_file(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                        api: FakeAnthropic) -> None:
    bench.write("calc", budget={"max_turns": 2})
    api.script(*SOLVE)
    run(pytester).assert_outcomes(failed=1)
    assert "max_turns: 2 turns used" in result_named(pytester.path, "calc")["reason"]


def test_unknown_model_has_null_cost_and_a_warning(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(*SOLVE)
    run(pytester, "--gaobench-model", "claude-future-9").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert api.requests[0]["body"]["model"] == "claude-future-9"
    assert result["metrics"]["usage"]["cost_usd"] is None
    assert result["metrics"]["usage"]["tokens_input"] == 3500
    assert "no price known for model 'claude-future-9'" in result["warnings"][0]


def test_questions_count_as_interventions(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                         api: FakeAnthropic) -> None:
    bench.write("calc", success_criteria={"tests_must_pass": True,
                                          "max_manual_interventions": 1})
    api.script(tool_turn(tool("ask_user", question="Integers or floats?")),
               message(text("Should I also handle strings?")), *SOLVE)
    run(pytester).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["usage"]["manual_interventions"] == 2
    assert "max_manual_interventions (2 intervention(s), at most 1 allowed)" in result["reason"]


def test_record_then_replay_reaches_the_same_grade_without_the_api(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(*SOLVE)
    run(pytester, "--gaobench-record", "cassettes").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "calc.jsonl"
    header, *replies = map(json.loads, cassette.read_text().splitlines())
    assert header["recording"] == result_named(pytester.path, "calc")["run_id"]
    assert len(replies) == 3
    api.script(*SOLVE)  # a second recording replaces the first
    run(pytester, "--gaobench-record=cassettes").assert_outcomes(passed=1)
    lines = cassette.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["recording"] != header["recording"]
    calls_before = len(api.requests)
    pytester.runpytest("--gaobench-agent", "replay", "--gaobench-cassettes",
                       "cassettes").assert_outcomes(passed=1)
    assert len(api.requests) == calls_before  # no API call while replaying
    replayed = [r for r in run_results(pytester.path) if r["agent"] == "replay"]
    assert [r["status"] for r in replayed] == ["completed"]
    usage = replayed[0]["metrics"]["usage"]
    assert (usage["tool_calls"], usage["turns"], usage["api_calls"]) == (2, 3, None)


def test_replay_plays_only_the_last_recording_of_an_appended_cassette(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    cassette = pytester.path / "cassettes" / "calc.jsonl"
    cassette.parent.mkdir()
    first = [{"phase": "implementation", "stop_reason": "tool_use",
              "content": [tool("run_command", command="touch first-run")]}]
    second = [{"phase": "implementation", "content": reply.body["content"],
               "stop_reason": reply.body["stop_reason"]} for reply in SOLVE]
    lines = [{"recording": "run-1"}, *first, {"recording": "run-2"}, *second]
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    pytester.runpytest("--gaobench-agent", "replay", "--gaobench-keep",
                       "--gaobench-cassettes=cassettes").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["usage"]["turns"] == len(second)
    assert not (Path(result["workspace"]) / "first-run").exists()


def test_replay_without_a_cassette_is_an_infra_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest("--gaobench-agent", "replay").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert "no cassette to replay at" in result["reason"]


def test_key_never_leaks_into_any_artifact_or_the_sandbox(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(VALID_KEY + "\n")
    key_file.chmod(0o600)
    bench.write("calc")
    api.script(tool_turn(tool("run_command", command="env; cat ~/.bashrc 2>/dev/null; true")),
               tool_turn(tool("write_file", path="note.txt", content="key?")),
               error(500, "api_error", "upstream said " + VALID_KEY), *SOLVE)
    outcome = pytester.runpytest_subprocess(
        "--gaobench-agent", "anthropic", f"--gaobench-api-key-file={key_file}",
        "--gaobench-retry-base", "0.01", "--junitxml=junit.xml", "--gaobench-keep")
    outcome.assert_outcomes(passed=1)
    env_output = tool_results(api)[0]["content"]
    assert "PATH=" in env_output and VALID_KEY not in env_output
    assert "ANTHROPIC" not in env_output
    leaks = [str(p) for p in pytester.path.rglob("*") if p.is_file()
             and p != key_file and VALID_KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert VALID_KEY not in outcome.stdout.str() + outcome.stderr.str()


def test_bedrock_and_vertex_ids_are_priced_as_their_anthropic_models() -> None:
    from pytest_gaobench.metering.pricing import PriceTable, anthropic_model_id

    assert anthropic_model_id("us.anthropic.claude-sonnet-4-5-20250929-v1:0") == \
        "claude-sonnet-4-5-20250929"
    assert anthropic_model_id("anthropic.claude-haiku-4-5-20251001-v1:0") == \
        "claude-haiku-4-5-20251001"
    assert anthropic_model_id("claude-opus-4-5@20251101") == "claude-opus-4-5-20251101"
    prices = PriceTable.shipped()
    sonnet = prices.lookup("claude-sonnet-4-5")
    assert sonnet is not None
    assert prices.lookup("global.anthropic.claude-sonnet-4-5-20250929-v1:0") == sonnet
    assert prices.lookup("claude-sonnet-4-5@20250929") == sonnet
    assert prices.lookup("mistral.large-v1:0") is None


def test_a_cost_budget_for_an_unpriced_model_is_refused_at_the_start(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    refused = run(pytester, "--gaobench-model", "house-model-1", "--gaobench-max-cost-usd", "1")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*house-model-1: its price is unknown*--gaobench-prices*"])

    bench.write("calc", model="house-model-1", budget={"max_cost_usd": 0.5})
    api.script(*SOLVE)
    run(pytester).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config"
    assert "price is unknown" in result["reason"]
    assert api.requests == []  # refused before any Messages API call


def test_a_price_file_prices_a_house_model_and_the_budget_holds(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    prices = pytester.path / "prices.json"
    prices.write_text(json.dumps({"models": {"house-model-1": {
        "input": 100.0, "output": 100.0, "cache_write": 100.0, "cache_read": 100.0}}}))
    bench.write("calc", model="house-model-1", budget={"max_cost_usd": 0.05})
    api.script(*SOLVE)
    run(pytester, f"--gaobench-prices={prices}").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "agent"
    assert result["reason"].startswith("budget exceeded")
    assert result["metrics"]["usage"]["cost_usd"] == pytest.approx(1550 * 100 / 1e6)


def test_a_key_planted_everywhere_is_redacted_from_every_artifact(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic,
        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "plain-secret-0f9e8d7c6b5a"  # not key-shaped: only registration redacts it
    api.valid_keys.add(secret)
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    yaml_file = bench.write(
        "calc", phases=[{"phase_name": "explore", "continue_on_failure": True},
                        {"phase_name": "build"}],
        success_criteria={"tests_must_pass": True, "commands": [
            {"name": "leaky", "run": f"echo 'stderr has {secret}' >&2; exit 1"}]})
    api.script(error(400, "invalid_request_error", f"bad request near {secret}"),
               tool_turn(tool("run_command", command=f"echo tool output {secret}")), *SOLVE)
    outcome = run(pytester, "--junitxml=junit.xml", "--gaobench-keep",
                  "--gaobench-html=report.html")
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "criteria"
    assert "REDACTED" in result["phases"][0]["error"]
    leaky = next(c for c in result["criteria"] if c["name"] == "command:leaky")
    assert "stderr has [REDACTED]" in leaky["detail"]
    leaks = [str(p) for p in pytester.path.rglob("*") if p.is_file() and p != yaml_file
             and secret.encode() in p.read_bytes()]
    assert leaks == []
    assert secret not in outcome.stdout.str() + outcome.stderr.str()
