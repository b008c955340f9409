"""The tests' scripted Messages API for the rows that run an agent: conversations that
last as many turns as their first message asks (TURNS=N)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any


def api_server(responder: Callable[[dict[str, Any]], Any], delay: float = 0.0) -> Any:
    """The tests' scripted Messages API, answering from each request's conversation."""
    from fake_anthropic import FakeAnthropic

    server = FakeAnthropic()
    server.responder = responder
    server.delay = delay
    server.start()
    return server


def turns_wanted(body: dict[str, Any]) -> int:
    """The conversation says how long it should last: TURNS=N in its first message."""
    first = body["messages"][0]["content"]
    text = first if isinstance(first, str) else " ".join(
        block.get("text", "") for block in first if isinstance(block, dict))
    found = re.search(r"TURNS=(\d+)", text)
    return int(found.group(1)) if found else 1


def tool_until_done(body: dict[str, Any]) -> Any:
    """A list_files call each turn until the conversation has its TURNS, then a reply."""
    from fake_anthropic import message, text, tool, tool_turn

    turn = (len(body["messages"]) + 1) // 2
    if turn < turns_wanted(body):
        return tool_turn(tool("list_files"))
    return message(text("Done."))


def api_env(server: Any) -> dict[str, str]:
    from fake_anthropic import VALID_KEY

    return {**os.environ, "ANTHROPIC_API_KEY": VALID_KEY, "ANTHROPIC_BASE_URL": server.url,
            "GAOBENCH_CONFIG": "/nonexistent"}


def api_benchmarks(folder: Path, names: list[str], turns: int) -> None:
    from benchmark_files import BenchmarkWriter

    writer = BenchmarkWriter(folder)
    for name in names:
        writer.write(name, initial_prompt=f"TURNS={turns}", success_criteria={},
                     model="claude-sonnet-5-5")
