"""The codex agent with the real Codex CLI against the scripted OpenAI Responses API.

CI installs a pinned ``@openai/codex``; these tests fail there, never skip, when the CLI
is missing (elsewhere they skip and say how to install it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, needs_cli, page_blocks, result_named
from fake_openai import VALID_OPENAI_KEY, FakeOpenAi, run, say
from test_claude_code import every_file_under, live_processes

pytestmark = needs_cli("codex", "the Codex CLI", "npm install -g @openai/codex")

WRITE_SOLUTION = f"cat > calc.py <<'PY'\n{SOLUTION}PY"


def codex(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=codex", "-p", "no:cacheprovider",
                                         *args)


def test_codex_solves_a_benchmark_measured_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", initial_prompt="Implement add in calc.py.")
    openai_api.script(
        run(WRITE_SOLUTION, input_tokens=3000, cached_tokens=1000, output_tokens=60),
        run("printenv OPENAI_API_KEY; python -m pytest -q", input_tokens=3400,
            cached_tokens=2900, output_tokens=30),
        say("Done.", input_tokens=3600, cached_tokens=3300, output_tokens=12))
    outcome = codex(pytester, "--junitxml=report.xml")
    outcome.assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    served_input = openai_api.served_total("input_tokens")
    cached = openai_api.served_total("cached_tokens")
    assert (usage["tokens_input"], usage["tokens_cache_read"], usage["tokens_output"]) == (
        served_input - cached, cached, openai_api.served_total("output_tokens")) == (
        2800, 7200, 102)
    assert usage["api_calls"] == usage["turns"] == 3 and usage["tool_calls"] == 2
    assert usage["cost_usd"] == pytest.approx((2800 * 5.0 + 7200 * 0.5 + 102 * 30.0) / 1e6)
    assert not any("reported other usage" in warning for warning in result["warnings"])
    shown = openai_api.tool_outputs()
    assert any("1 passed" in output for output in shown), shown  # Codex ran the tests
    assert any("gaobench-run-" in output for output in shown)  # it holds a run token
    assert not any(VALID_OPENAI_KEY in output for output in shown)
    first = openai_api.requests[0]
    assert first["headers"]["authorization"] == f"Bearer {VALID_OPENAI_KEY}"
    assert first["body"]["model"] == "gpt-5.5"
    assert "You are the developer" in json.dumps(first["body"]["input"])
    # What Codex sends passes the proxy's rules: its own tools only (web search is off in
    # the config the harness writes; the proxy would refuse a hosted search it cannot bound).
    sent = {tool.get("type") for tool in first["body"].get("tools", [])}
    assert "web_search" not in sent and sent <= {"function", "custom", "tool_search"}, sent
    calls = page_blocks(pytester.path, result, "tool_use")  # what the report's page shows
    assert [call["name"] for call in calls] == ["command_execution"] * 2
    assert "cat > calc.py" in calls[0]["input"]["command"]
    outputs = page_blocks(pytester.path, result, "tool_result")
    assert any("1 passed" in str(output["content"]) for output in outputs)
    for path in every_file_under(pytester.path / ".gaobench", pytester.path / "report.xml"):
        assert VALID_OPENAI_KEY.encode() not in path.read_bytes(), path


def test_no_user_codex_settings_leak_in(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_home = tmp_path / "user-codex"
    user_home.mkdir()
    (user_home / "config.toml").write_text('model = "gpt-user-choice"\n'
                                           'developer_instructions = "LEAKED USER SETTING"\n')
    monkeypatch.setenv("CODEX_HOME", str(user_home))
    bench.write("calc")
    openai_api.script(run(WRITE_SOLUTION), say())
    codex(pytester).assert_outcomes(passed=1)
    body = json.dumps(openai_api.requests[0]["body"])
    assert "LEAKED USER SETTING" not in body and "gpt-user-choice" not in body


def test_a_hung_codex_times_out_with_nothing_left_running(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    marker = "gaobench-codex-timeout-marker"
    bench.write("calc", timeout_seconds=6, initial_prompt=marker)
    openai_api.script(run(f"python3 -c 'import time; time.sleep(300)' {marker}",
                          input_tokens=700, output_tokens=9))
    outcome = codex(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert result["metrics"]["usage"]["tokens_output"] == 9
    assert live_processes(marker) == []


def test_a_turn_budget_is_kept_by_the_proxy(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    bench.write("calc", budget={"max_turns": 2})
    openai_api.script(run("true"), run("true"), run(WRITE_SOLUTION), say())
    outcome = codex(pytester)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "max_turns" in result["reason"]
    assert len(openai_api.requests) == 2  # the third call never reached the API
    assert result["metrics"]["usage"]["turns"] == 2


def test_a_benchmark_without_a_key_for_codex_stops_before_any_work(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bench.write("calc")
    openai_api.valid_keys = {"sk-proj-someone-else"}
    outcome = codex(pytester)
    assert outcome.ret == 7
    outcome.stderr.fnmatch_lines(["gaobench: the OpenAI API key from OPENAI_API_KEY was rejected*"])
    assert VALID_OPENAI_KEY not in outcome.stdout.str() + outcome.stderr.str()
    monkeypatch.delenv("OPENAI_API_KEY")
    outcome = codex(pytester)
    assert outcome.ret == 7
    outcome.stderr.fnmatch_lines(["gaobench: no openai API key: set OPENAI_API_KEY*"])


def test_a_role_prompt_with_any_text_is_valid_toml_and_codex_starts(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi) -> None:
    """An emoji, quotes and backslashes in a role prompt: Codex's config is TOML a TOML
    library wrote (JSON's \\ud83d escapes are not TOML), so Codex reads it and runs."""
    import tomllib

    from pytest_gaobench.agents.cli.codex import codex_config

    rocket = 'You ship it 🚀 "quoted" \\ back\\slash'
    config = codex_config(model="gpt-5.5", base_url="http://127.0.0.1:1/v1",
                          instructions=rocket)
    assert tomllib.loads(config)["developer_instructions"] == rocket
    bench.write("calc", roles={"shipper": rocket},
                workflow_phases=[{"phase_name": "implementation", "agent": "shipper",
                                  "prompt": "Implement add in calc.py."}])
    openai_api.script(run(WRITE_SOLUTION), say("Done."))
    codex(pytester).assert_outcomes(passed=1)
    assert "🚀" in json.dumps(openai_api.requests[0]["body"], ensure_ascii=False)


@pytest.mark.parametrize("relative", [".codex/config.toml", ".gemini/settings.json",
                                      ".aider/caches/model_prices_and_context_window.json"])
def test_a_link_the_agent_left_in_its_home_is_never_written_through(
        tmp_path: Path, relative: str) -> None:
    """The agent's home is writable to it: a later phase's configuration is written
    without following the link an earlier phase left where a folder belongs (the harness
    runs as root: through it, it would write anywhere), and that is the agent's failure."""
    from pytest_gaobench.agents.base import AgentError
    from pytest_gaobench.agents.cli.base import PhaseSetup, write_home_file

    home, victim = tmp_path / "agent-home", tmp_path / "victim"
    home.mkdir()
    victim.mkdir()
    (home / relative.split("/")[0]).symlink_to(victim)
    setup = PhaseSetup(model="m", turns=None, home=home, output=tmp_path / "out",
                       folder=tmp_path, installation=None, metered=None)
    with pytest.raises(AgentError, match="link or a special file"):
        write_home_file(setup, relative, "written")
    assert list(victim.rglob("*")) == []
    write_home_file(setup, ".other/config", "written")  # an honest home takes the file
    assert (home / ".other" / "config").read_text() == "written"
