"""Claude Code's ``--output-format stream-json`` output, read back after the process ends.

One JSON object per line: ``system`` (init, with the session id), ``assistant`` and
``user`` messages as they happen, and a final ``result`` line with ``num_turns``,
``total_cost_usd``, ``usage``, ``subtype`` and ``is_error``. A killed process leaves no
result line; the assistant messages still tell the calls and tool calls made. Any other
command agent that prints the same format is read the same way; output whose first JSON
line is not Claude's ``system``/``init`` event is another format and is not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ClaudeStream:
    session_id: str | None = None
    result: dict[str, Any] | None = None
    """The ``result`` line; None when the process never printed it (killed)."""
    messages: set[str] = field(default_factory=set)
    """Ids of the assistant messages seen: one per API call."""
    tool_uses: set[str] = field(default_factory=set)
    last_text: str | None = None
    lines: int = 0
    """JSON lines read: 0 means the output was not Claude's stream-json at all."""
    foreign: bool = False
    """The output's first JSON line was not Claude's ``system``/``init``: another format
    (``codex exec --json``, structured logs), so nothing of it is read as Claude's."""

    @property
    def subtype(self) -> str | None:
        return str(self.result.get("subtype")) if self.result else None

    @property
    def is_error(self) -> bool:
        return bool(self.result and self.result.get("is_error"))

    @property
    def num_turns(self) -> int | None:
        value = self.result.get("num_turns") if self.result else None
        return value if isinstance(value, int) else None

    @property
    def reported_usage(self) -> dict[str, int]:
        """The token counts the agent itself reports (checked against the proxy's)."""
        usage = (self.result or {}).get("usage") or {}
        return {key: value for key, value in usage.items() if isinstance(value, int)}

    @property
    def final_message(self) -> str | None:
        result = (self.result or {}).get("result")
        return result if isinstance(result, str) else self.last_text

    def read_line(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return
        if not isinstance(event, dict) or self.foreign:
            return
        if self.lines == 0 and (event.get("type"), event.get("subtype")) != ("system", "init"):
            self.foreign = True
            return
        self.lines += 1
        self.session_id = event.get("session_id") or self.session_id
        if event.get("type") == "result":
            self.result = event
        elif event.get("type") == "assistant":
            self._assistant(event.get("message") or {})

    def _assistant(self, message: dict[str, Any]) -> None:
        if message.get("id"):
            self.messages.add(str(message["id"]))
        for block in message.get("content") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                self.tool_uses.add(str(block.get("id")))
            elif block.get("type") == "text" and block.get("text"):
                self.last_text = str(block["text"])


def read_claude_stream(path: Path) -> ClaudeStream:
    stream = ClaudeStream()
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith("{"):
                    stream.read_line(line)
    return stream


def claude_transcript(events: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """The stream as transcript entries: its set-up, each message and the result."""
    for event in events:
        kind, message = event.get("type"), event.get("message") or {}
        at = event.get("timestamp")
        if kind == "system" and event.get("subtype") == "init":
            yield {"kind": "request_setup", "model": event.get("model"),
                   "tools": event.get("tools"), "session_id": event.get("session_id"),
                   "agent": "claude-code"}
        elif kind == "assistant":
            yield {"kind": "response", "at": at, "content": message.get("content"),
                   "usage": message.get("usage"), "message_id": message.get("id")}
        elif kind == "user":
            yield {"kind": "request", "at": at,
                   "message": {"role": "user", "content": message.get("content")}}
        elif kind == "result":
            yield {"kind": "final_message", "text": event.get("result"),
                   "subtype": event.get("subtype"), "num_turns": event.get("num_turns"),
                   "is_error": event.get("is_error")}
