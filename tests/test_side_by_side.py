"""Agents people use, side by side on one benchmark, measured the same way by the proxy.

Needs the real Claude Code, Codex and Aider (CI installs all three, pinned).
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from benchmark_files import BenchmarkWriter, run_results
from fake_anthropic import FakeAnthropic, message, text, tool_turn
from fake_openai import FakeOpenAi, run, say
from test_aider import WHOLE_FILE_EDIT
from test_claude_code import WRITE_SOLUTION as CLAUDE_WRITES
from test_claude_code import bash
from test_codex import WRITE_SOLUTION as CODEX_WRITES

pytestmark = pytest.mark.skipif(
    not all(shutil.which(cli) for cli in ("claude", "codex", "aider")),
    reason="needs the Claude Code, Codex and Aider CLIs (see the README's agents table)")


def test_claude_code_codex_and_aider_side_by_side_on_the_same_numbers(
        pytester: pytest.Pytester, bench: BenchmarkWriter, openai_api: FakeOpenAi,
        api: FakeAnthropic) -> None:
    bench.write("calc")
    api.script(tool_turn(bash(CLAUDE_WRITES), input_tokens=1000, output_tokens=40),
               message(text("Done."), input_tokens=1100, output_tokens=10),
               # Aider runs third, on Claude (its default model here) through LiteLLM.
               message(text(WHOLE_FILE_EDIT), input_tokens=1500, output_tokens=70))
    openai_api.script(run(CODEX_WRITES, input_tokens=900, output_tokens=30),
                      say(input_tokens=1000, output_tokens=5))
    outcome = pytester.runpytest_subprocess("--gaobench-agent=claude-code",
                                            "--gaobench-agent=codex", "--gaobench-agent=aider",
                                            "-p", "no:cacheprovider",
                                            "--gaobench-db=results.db")
    outcome.assert_outcomes(passed=3)
    outcome.stdout.fnmatch_lines(["*by agent and model:*", "*claude-code*claude-sonnet-5-5*1*",
                                  "*codex*gpt-5.5*1*", "*aider*claude-sonnet-5-5*1*"])
    usage = {r["agent"]: r["metrics"]["usage"] for r in run_results(pytester.path)}
    assert (usage["claude-code"]["tokens_input"], usage["claude-code"]["tokens_output"]) == (
        2100, 50)
    assert (usage["codex"]["tokens_input"], usage["codex"]["tokens_output"]) == (1900, 35)
    assert (usage["aider"]["tokens_input"], usage["aider"]["tokens_output"]) == (1500, 70)
    with sqlite3.connect(pytester.path / "results.db") as db:
        rows = db.execute("select agent, model, tokens_input, tokens_output, api_calls "
                          "from gaobench_runs order by agent").fetchall()
    assert rows == [("aider", "claude-sonnet-5-5", 1500, 70, 1),
                    ("claude-code", "claude-sonnet-5-5", 2100, 50, 2),
                    ("codex", "gpt-5.5", 1900, 35, 2)]
