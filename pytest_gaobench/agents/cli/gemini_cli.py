"""The gemini-cli agent: Google's Gemini CLI, headless, one ``gemini -p`` per phase.

Each phase runs ``gemini -p PROMPT --output-format stream-json --yolo -m MODEL`` in the
workspace, in the sandbox (``--yolo``: its own approvals are off, ours is the boundary).
It gets a home of its own in the run folder whose ``~/.gemini/settings.json`` the harness
writes (API-key auth, no update checks, no usage statistics or telemetry) and whose
``~/.gemini/GEMINI.md`` (the context file Gemini CLI reads for every project) holds the
role prompt; none of the user's settings, extensions, MCP servers or credentials leak in.
The workspace is trusted (``GEMINI_CLI_TRUST_WORKSPACE``), else headless mode would refuse
``--yolo``. It reaches the Gemini API only through the run's metering proxy
(``GOOGLE_GEMINI_BASE_URL``, a run token in ``GEMINI_API_KEY``).

Measured: usage and cost (the proxy), turns (model calls, as the proxy counted them: the
CLI's own side questions, such as its loop check, are calls it pays for too), tool calls
(its stream's ``tool_use`` events). A turn budget is kept by the proxy. Each phase starts
a fresh session.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...sandbox.process import CommandResult
from ..base import PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup, read_stream, record_reading, write_home_file
from .outcome import conclude_exit

DEFAULT_GEMINI_MODEL = "gemini-2.5-pro"
SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}
TURN_LIMIT_EXIT = 53
"""Gemini CLI's exit code when its own session turn limit is reached."""


@dataclass
class GeminiStream:
    """``--output-format stream-json``: ``init`` (session and model), ``message``,
    ``tool_use``, ``tool_result``, ``error`` and a ``result`` with its own statistics."""

    session_id: str | None = None
    tool_calls: int = 0
    result: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    final_message: str = ""
    lines: int = 0

    def read(self, event: dict[str, Any]) -> None:
        self.lines += 1
        kind = event.get("type")
        if kind == "init" and isinstance(event.get("session_id"), str):
            self.session_id = event["session_id"]
        elif kind == "tool_use":
            self.tool_calls += 1
        elif kind == "message" and event.get("role") == "assistant":
            text = str(event.get("content") or "")
            self.final_message = (self.final_message + text if event.get("delta")
                                  else text)[-8000:]
        elif kind == "tool_result":
            self.final_message = ""
        elif kind == "error":
            self.errors.append(str(event.get("message") or event.get("error") or "error"))
        elif kind == "result":
            self.result = event

    @property
    def succeeded(self) -> bool:
        return self.result is not None and self.result.get("status") == "success"

    @property
    def failure(self) -> str | None:
        error = (self.result or {}).get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)
        return self.errors[-1] if self.errors else None


class GeminiCliAgent(CliAgent):
    name = "gemini-cli"
    program = "gemini"
    label = "Gemini CLI"
    install_hint = "npm install -g @google/gemini-cli"
    default_model = DEFAULT_GEMINI_MODEL
    provider_name = "gemini"

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        write_home_file(setup, ".gemini/settings.json", json.dumps(SETTINGS, indent=2))
        write_home_file(setup, ".gemini/GEMINI.md",
                        role_prompt(ctx.phase.agent, ctx.config.roles))
        argv = [*setup.argv, "-p", phase_prompt(ctx), "--output-format",
                "stream-json", "--yolo", "-m", setup.model]
        return Launch(argv, {**setup.api.env, "GEMINI_CLI_TRUST_WORKSPACE": "true",
                             "GEMINI_CLI_NO_RELAUNCH": "true"},
                      f"gemini -p <phase {ctx.phase.phase_name} prompt>")

    def transcript_entries(self, events: Iterable[dict[str, Any]]
                           ) -> Iterable[dict[str, Any]]:
        """Gemini CLI's ``stream-json`` events as messages: its text (the deltas of one
        reply joined), each tool call, and each tool's result."""
        text = ""
        for event in events:
            kind = event.get("type")
            if kind == "message" and event.get("role") == "assistant":
                text = text + str(event.get("content") or "") if event.get("delta") \
                    else str(event.get("content") or "")
                continue
            if text:
                yield {"kind": "response", "content": [{"type": "text", "text": text}]}
                text = ""
            if kind == "init":
                yield {"kind": "request_setup", "model": event.get("model"),
                       "session_id": event.get("session_id"), "agent": "gemini-cli"}
            elif kind == "tool_use":
                yield {"kind": "response", "at": event.get("timestamp"),
                       "content": [{"type": "tool_use", "id": str(event.get("tool_id")),
                                    "name": event.get("tool_name"),
                                    "input": event.get("parameters")}]}
            elif kind == "tool_result":
                yield {"kind": "request", "message": {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": str(event.get("tool_id")),
                     "content": event.get("output") or event.get("status")}]}}
        if text:
            yield {"kind": "response", "content": [{"type": "text", "text": text}]}

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        stream = read_stream(setup.output, GeminiStream())
        state = setup.api.state
        record_reading(ctx, tool_calls=stream.tool_calls if stream.lines else None,
                       final_message=stream.final_message)
        stats = (stream.result or {}).get("stats")
        if isinstance(stats, dict):
            ctx.note("agent_reported_usage",
                     usage={k: v for k, v in stats.items() if isinstance(v, int)})
        conclude_exit(ctx, "gemini", done, state, provider="Gemini",
                      failed=not done.ok or not stream.succeeded,
                      said=stream.failure or (None if done.ok else done.tail())
                      or "it ended without a result")
