"""The raw SDK loop the agent-turn row measures against: the same request as our agent's
(its system prompt and tool definitions), so the two sides differ only in what the harness
does around each call. Prints a timestamp per response.

    python raw_loop.py TURNS
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import anthropic

from pytest_gaobench.agents.prompts import role_prompt
from pytest_gaobench.agents.toolloop.tools import TOOL_SPECS


def main(turns: str) -> None:
    client = anthropic.Anthropic(max_retries=0)
    system: Any = [{"type": "text", "text": role_prompt("developer")}]
    tools: Any = [dict(spec) for spec in TOOL_SPECS]
    messages: list[Any] = [{"role": "user",
                            "content": [{"type": "text", "text": "TURNS=" + turns}]}]
    while True:
        reply = client.messages.create(model="claude-sonnet-5-5", max_tokens=8192,
                                       system=system, tools=tools, messages=messages)
        messages.append({"role": "assistant", "content": reply.model_dump(
            mode="json", exclude_none=True)["content"]})
        print(time.time(), flush=True)
        calls = [block for block in reply.content if block.type == "tool_use"]
        if not calls:
            break
        listing = "\n".join(sorted(p.as_posix() for p in Path(".").glob("**/*")
                                   if p.is_file()))
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call.id, "content": listing}
            for call in calls]})


if __name__ == "__main__":
    main(sys.argv[1])
