"""The command agent: any CLI agent from a template, its usage file, its failures."""

from __future__ import annotations

import json
import shlex
import sys
import tracemalloc
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, result_named
from fake_anthropic import VALID_KEY, FakeAnthropic, error, message, text

from pytest_gaobench.sandbox.output import KEPT_HEAD, KEPT_TAIL, keep_output

WRITE = "printf '" + SOLUTION.replace("\n", "\\n") + "' > calc.py"
"""One line of shell that solves the benchmark (printf turns each \\n into a newline)."""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=command", "-p", "no:cacheprovider",
                                         *args)


def usage_of(pytester: pytest.Pytester) -> dict[str, object]:
    usage: dict[str, object] = result_named(pytester.path, "calc")["metrics"]["usage"]
    return usage


def test_a_usage_file_is_the_phases_usage_and_absent_keys_stay_unmeasured(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    report = json.dumps({"input_tokens": 1200, "output_tokens": 80, "turns": 4,
                         "tool_calls": 3})
    bench.write("calc", agent_command=f"{WRITE} && echo '{report}' > \"$GAOBENCH_USAGE_FILE\"")
    run(pytester).assert_outcomes(passed=1)
    usage = usage_of(pytester)
    assert (usage["tokens_input"], usage["tokens_output"], usage["turns"],
            usage["tool_calls"]) == (1200, 80, 4, 3)
    assert usage["tokens_cache_read"] is None and usage["api_calls"] is None
    # No model was declared: it is unknown, and so is the cost (never a default's price).
    assert usage["cost_usd"] is None and result_named(pytester.path, "calc")["model"] is None


def test_a_usage_file_that_names_its_model_is_priced_at_that_models_rates(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    report = json.dumps({"input_tokens": 1200, "output_tokens": 80,
                         "model": "claude-sonnet-5-5"})
    bench.write("calc", agent_command=f"{WRITE} && echo '{report}' > \"$GAOBENCH_USAGE_FILE\"")
    run(pytester).assert_outcomes(passed=1)
    assert usage_of(pytester)["cost_usd"] == pytest.approx((1200 * 2.0 + 80 * 10.0) / 1e6)


def test_without_a_usage_file_nothing_is_reported_as_zero(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", agent_command=WRITE)
    run(pytester).assert_outcomes(passed=1)
    usage = usage_of(pytester)
    assert all(usage[key] is None for key in ("tokens_input", "tokens_output", "cost_usd",
                                              "turns", "api_calls", "tool_calls"))


def test_a_failing_command_is_the_agents_failure_with_the_end_of_its_output(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", agent_command="echo working; echo 'agent crashed: no plan' >&2; exit 3")
    run(pytester).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "exited with 3" in result["reason"] and "agent crashed: no plan" in result["reason"]


def test_a_hanging_command_times_out(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", timeout_seconds=3, agent_command="sleep 120")
    run(pytester).assert_outcomes(failed=1)
    assert result_named(pytester.path, "calc")["status"] == "timeout"


def test_placeholders_are_quoted_and_the_environment_is_an_allow_list(
        pytester: pytest.Pytester, bench: BenchmarkWriter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_SETTING", "passed-on")
    monkeypatch.setenv("HARNESS_SECRET", "kept-back")
    show = ("import json, os, sys; json.dump({'argv': sys.argv[1:], 'env': dict(os.environ)}, "
            "open('seen.json', 'w'))")
    template = (f"{sys.executable} -c {shlex.quote(show)} {{prompt}} {{prompt_file}} "
                f"{{model}} {{phase}} {{role}} {{workspace}} && {WRITE}")
    bench.write("calc", initial_prompt="Don't stop; it's $HOME `x`.")
    (pytester.path / "pytest.ini").write_text(
        f"[pytest]\ngaobench_agent_command = {template}\n")
    run(pytester, "--gaobench-keep", "--gaobench-agent-env=AGENT_SETTING",
        "--gaobench-model=claude-haiku-4-5").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    seen = json.loads((pytester.path / ".gaobench" / "runs" / result["run_id"] / "workspace"
                       / "seen.json").read_text())
    prompt, prompt_file, model, phase, role, workspace = seen["argv"]
    assert "Don't stop; it's $HOME `x`." in prompt  # one argument, nothing expanded
    assert Path(prompt_file).read_text() == prompt
    assert prompt_file == seen["env"]["GAOBENCH_PROMPT_FILE"]
    assert (model, phase, role) == ("claude-haiku-4-5", "implementation", "developer")
    assert workspace == seen["env"]["GAOBENCH_WORKSPACE"]
    assert seen["env"]["AGENT_SETTING"] == "passed-on"
    assert "HARNESS_SECRET" not in seen["env"] and "ANTHROPIC_API_KEY" not in seen["env"]
    assert result["model"] == "claude-haiku-4-5"


def test_the_command_line_template_wins_over_the_benchmarks(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", agent_command="exit 9")
    run(pytester, f"--gaobench-agent-command={WRITE}").assert_outcomes(passed=1)


def test_no_template_anywhere_is_a_config_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    run(pytester).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config" and "agent_command" in result["reason"]


STREAM = [
    {"type": "system", "subtype": "init", "session_id": "s1"},
    {"type": "assistant", "session_id": "s1", "message": {"id": "m1", "content": [
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}]}},
    {"type": "assistant", "session_id": "s1", "message": {"id": "m2", "content": [
        {"type": "text", "text": "Finished."}]}},
    {"type": "result", "subtype": "success", "is_error": False, "num_turns": 2,
     "session_id": "s1", "result": "Finished."},
]


def test_a_command_printing_claude_stream_json_is_read_like_claude_code(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    lines = "\n".join(json.dumps(event) for event in STREAM)
    bench.write("calc", agent_command=f"{WRITE} && printf '%s\\n' {shlex.quote(lines)}")
    run(pytester).assert_outcomes(passed=1)
    usage = usage_of(pytester)
    assert (usage["turns"], usage["tool_calls"]) == (2, 1)


def test_json_lines_of_another_format_are_not_read_as_claudes(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """`codex exec --json` and structured logs print JSON lines too: with no result line of
    Claude's the phase used to fail, and turns read 0 instead of not measured."""
    codex = "\n".join(json.dumps(event) for event in [
        {"type": "thread.started", "thread_id": "t1"},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "done"}},
        {"type": "turn.completed", "usage": {"input_tokens": 5, "output_tokens": 1}}])
    bench.write("calc", agent_command=f"{WRITE} && printf '%s\\n' {shlex.quote(codex)}")
    run(pytester).assert_outcomes(passed=1)
    usage = usage_of(pytester)
    assert usage["turns"] is None and usage["tool_calls"] is None


def test_a_huge_output_is_kept_capped_with_its_start_and_end(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", agent_command=f"{WRITE} && echo FIRST && "
                                      f"yes 'progress line' | head -c 30000000; echo THE END")
    run(pytester).assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    kept = (pytester.path / ".gaobench" / "runs" / result["run_id"]
            / "agent-01-implementation" / "stdout.txt")
    assert kept.stat().st_size <= KEPT_HEAD + KEPT_TAIL + 100
    text = kept.read_text()
    assert text.startswith("FIRST\n") and text.endswith("THE END\n")
    assert "bytes cut by gaobench" in text
    assert any("printed 30000014 bytes" in warning for warning in result["warnings"])


def test_keep_output_reads_a_line_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "stdout.txt"
    with path.open("w") as out:
        for number in range(2_000_000):  # 64 MB, and one line of 4 MB
            out.write(f"line {number:026d} of output\n" if number != 7 else "x" * 4_000_000 + "\n")
    tracemalloc.start()
    written = keep_output(path, str.upper)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert written > 64_000_000 and peak < 8 * 1024 * 1024
    kept = path.read_text()
    assert kept.startswith("LINE 00000000000000000000000000 OF OUTPUT\n")
    assert kept.endswith("LINE 00000000000000000001999999 OF OUTPUT\n")


METERED_AGENT = """\
import anthropic, os
client = anthropic.Anthropic()
for _ in range(2):
    client.messages.create(model=os.environ["GAOBENCH_MODEL"], max_tokens=50,
                           messages=[{"role": "user", "content": "work"}])
print(os.environ["ANTHROPIC_API_KEY"])
"""


def test_api_access_goes_through_the_proxy_with_a_run_token(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    api.script(message(text("a"), input_tokens=500, output_tokens=5),
                          message(text("b"), input_tokens=600, output_tokens=6))
    bench.write("calc", agent_command=f"{sys.executable} agent.py > said.txt && {WRITE}")
    (pytester.path / "boilerplates" / "calc" / "agent.py").write_text(METERED_AGENT)
    run(pytester, "--gaobench-agent-env=ANTHROPIC_API_KEY", "--gaobench-keep"
        ).assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    usage = result["metrics"]["usage"]
    assert (usage["api_calls"], usage["tokens_input"], usage["tokens_output"]) == (2, 1100, 11)
    said = (pytester.path / ".gaobench" / "runs" / result["run_id"] / "workspace"
            / "said.txt").read_text()
    assert said.startswith("gaobench-run-") and VALID_KEY not in said
    assert all(r["headers"]["x-api-key"] == VALID_KEY for r in api.requests)


def test_a_metered_command_keeps_the_turn_budget(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    """The command agent runs on the CLI base: a turn budget it cannot keep itself is kept
    by the proxy, which refuses the call past it."""
    api.script(message(text("a"), input_tokens=500, output_tokens=5),
               message(text("b"), input_tokens=600, output_tokens=6))
    bench.write("calc", agent_command=f"{sys.executable} agent.py && {WRITE}")
    (pytester.path / "boilerplates" / "calc" / "agent.py").write_text(METERED_AGENT)
    run(pytester, "--gaobench-agent-env=ANTHROPIC_API_KEY", "-o", "gaobench_max_turns=1"
        ).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "budget exceeded" in result["reason"] and "max_turns" in result["reason"]
    assert len(api.requests) == 1 and result["metrics"]["usage"]["api_calls"] == 1


GIVES_UP = """\
import anthropic, sys
try:
    anthropic.Anthropic(max_retries=0).messages.create(
        model="claude-sonnet-5-5", max_tokens=50, messages=[{"role": "user", "content": "x"}])
except anthropic.APIStatusError as exc:
    sys.exit(f"giving up: {exc.status_code}")
"""


def test_an_outage_seen_at_the_proxy_is_an_infra_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter, api: FakeAnthropic) -> None:
    api.script(error(529, "overloaded_error"))
    bench.write("calc", agent_command=f"{sys.executable} agent.py")
    (pytester.path / "boilerplates" / "calc" / "agent.py").write_text(GIVES_UP)
    run(pytester, "--gaobench-agent-env=ANTHROPIC_API_KEY").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "infra")
    assert "HTTP 529" in result["reason"]


MY_AGENT = f"""\
import sys
from pathlib import Path
assert Path(sys.argv[1]).read_text()  # the prompt
Path("calc.py").write_text({SOLUTION!r})
"""


def test_a_script_beside_the_benchmark_is_found_by_its_relative_path(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """``python my_agent.py`` in the benchmark is the script beside the benchmark file, not
    one in the workspace; ``{benchmark_dir}`` names that folder too."""
    (pytester.path / "my_agent.py").write_text(MY_AGENT)
    (pytester.path / "agents").mkdir()
    (pytester.path / "agents" / "other.py").write_text(MY_AGENT)
    bench.write("calc", agent_command=f"{sys.executable} my_agent.py {{prompt_file}}")
    bench.write("calc2", agent_command=f"{sys.executable} {{benchmark_dir}}/agents/other.py "
                                       f"{{prompt_file}}")
    run(pytester).assert_outcomes(passed=2)


def test_a_script_that_is_not_there_is_a_config_error_naming_the_path(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", agent_command=f"{sys.executable} no_such_agent.py {{prompt_file}}")
    run(pytester).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config"
    assert "'no_such_agent.py' is not found (looked for " \
           f"{pytester.path / 'no_such_agent.py'}" in result["reason"]
