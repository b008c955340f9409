"""The codex agent: OpenAI's Codex CLI, headless, one ``codex exec`` per phase.

Each phase runs ``codex exec --json`` in the workspace, in the sandbox, with Codex's own
sandbox and approvals off (ours is the boundary), the model from ``-m`` and the role
prompt as Codex's ``developer_instructions``. It gets a home of its own in the run folder
(``CODEX_HOME``, whose ``config.toml`` the harness writes each phase: no user settings,
profiles, MCP servers or credentials leak in) and reaches the Responses API only through
the run's metering proxy, as a model provider whose key variable holds the run token.
Codex has no turn limit of its own, so a turn budget is kept by the proxy, which refuses
the call past it. Its JSON event stream is kept beside the transcript as
``codex-<NN>-<phase>.jsonl``; tool calls are read from it, turns are the model calls the
proxy counted, and usage and cost are what the proxy counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from ...metering.api_usage import ApiUsage
from ...sandbox.process import CommandResult
from ..base import PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup, read_stream, record_reading, write_home_file
from .outcome import compare_with_proxy, conclude_exit

DEFAULT_CODEX_MODEL = "gpt-5.5"
PROVIDER_ID = "gaobench"
TOOL_ITEMS = frozenset({"command_execution", "file_change", "mcp_tool_call", "web_search"})
"""Codex's event items that are tool calls."""


@dataclass
class CodexStream:
    """``codex exec --json`` output: ``thread.started`` (the thread id), ``item.*`` (agent
    messages, commands, file changes), ``turn.completed`` (with Codex's own usage count)
    or ``turn.failed``, and ``error`` events."""

    thread_id: str | None = None
    completed: bool = False
    failure: str | None = None
    tool_calls: set[str] = field(default_factory=set)
    last_message: str | None = None
    reported_usage: dict[str, int] = field(default_factory=dict)
    lines: int = 0

    def read(self, event: dict[str, Any]) -> None:
        self.lines += 1
        kind = event.get("type")
        given = event.get("item")
        item: dict[str, Any] = given if isinstance(given, dict) else {}
        if kind == "thread.started" and isinstance(event.get("thread_id"), str):
            self.thread_id = event["thread_id"]
        elif kind == "item.completed" and item.get("type") in TOOL_ITEMS:
            self.tool_calls.add(str(item.get("id")))
        elif kind == "item.completed" and item.get("type") == "agent_message":
            self.last_message = str(item.get("text") or "")
        elif kind == "turn.completed":
            self.completed = True
            usage = event.get("usage")
            if isinstance(usage, dict):
                self.reported_usage = {k: v for k, v in usage.items() if isinstance(v, int)}
        elif kind == "turn.failed":
            error = event.get("error")
            self.failure = str(error.get("message") if isinstance(error, dict) else error)
        elif kind == "error":
            self.failure = str(event.get("message") or "error")


class CodexAgent(CliAgent):
    name = "codex"
    program = "codex"
    label = "Codex CLI"
    install_hint = "npm install -g @openai/codex"
    default_model = DEFAULT_CODEX_MODEL
    provider_name = "openai"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._threads: dict[str, str] = {}

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        codex_home = setup.home / ".codex"
        write_home_file(setup, ".codex/config.toml", codex_config(
            model=setup.model, base_url=setup.api.url + "/v1",
            instructions=role_prompt(ctx.phase.agent, ctx.config.roles)))
        thread = self._threads.get(ctx.sandbox.run_id) if ctx.config.continue_session \
            else None
        argv = [*setup.argv, "exec"] + (["resume", thread] if thread else []) + [
            "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
            "-m", setup.model, phase_prompt(ctx)]
        return Launch(argv, {"CODEX_HOME": str(codex_home), "OPENAI_API_KEY": self.token},
                      f"codex exec <phase {ctx.phase.phase_name} prompt>", {"resume": thread})

    def transcript_entries(self, events: Iterable[dict[str, Any]]
                           ) -> Iterable[dict[str, Any]]:
        """Codex's ``--json`` items as messages: its text, each command or file change as a
        tool call, and what the command printed as that call's result."""
        for event in events:
            item = event.get("item")
            if event.get("type") != "item.completed" or not isinstance(item, dict):
                continue
            kind, ident = item.get("type"), str(item.get("id"))
            if kind == "agent_message":
                yield {"kind": "response", "content": [{"type": "text",
                                                        "text": item.get("text")}]}
            elif kind in TOOL_ITEMS:
                called = {key: value for key, value in item.items()
                          if key not in ("id", "type", "aggregated_output", "status")}
                yield {"kind": "response", "content": [
                    {"type": "tool_use", "id": ident, "name": kind, "input": called}]}
                yield {"kind": "request", "message": {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": ident,
                     "content": item.get("aggregated_output") or item.get("status")}]}}

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        stream = read_stream(setup.output, CodexStream())
        if stream.thread_id:
            self._threads[ctx.sandbox.run_id] = stream.thread_id
        state = setup.api.state
        record_reading(ctx, tool_calls=len(stream.tool_calls), final_message=stream.last_message)
        if stream.reported_usage:
            ctx.note("agent_reported_usage", usage=stream.reported_usage)
            # Codex counts the cached input within the input, as OpenAI's usage does.
            compare_with_proxy(ctx, "codex", ApiUsage.from_openai(stream.reported_usage),
                               ["tokens_input", "tokens_output", "tokens_cache_read"])
        conclude_exit(ctx, "codex", done, state, provider="OpenAI",
                      failed=not done.ok or not stream.completed,
                      said=stream.failure or (None if done.ok else done.tail())
                      or "it ended without finishing its turn")


def codex_config(*, model: str, base_url: str, instructions: str) -> str:
    """Codex's whole configuration for one phase: the proxy as its only model provider,
    no update checks, no analytics, no hosted web search (one the proxy cannot bound),
    commands in a plain (not login) shell so they see the sandbox's PATH (a login shell
    would reset it from /etc/profile), and the role prompt. Written by a TOML library:
    any text (an emoji, a quote, a backslash) is a valid TOML string."""
    config = {"model": model, "model_provider": PROVIDER_ID,
              "developer_instructions": instructions, "check_for_update_on_startup": False,
              "web_search": "disabled", "allow_login_shell": False,
              "analytics": {"enabled": False},
              "model_providers": {PROVIDER_ID: {
                  "name": "gaobench metering proxy", "base_url": base_url,
                  "env_key": "OPENAI_API_KEY", "wire_api": "responses"}}}
    return tomli_w.dumps(config)
