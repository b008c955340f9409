"""The opencode agent: opencode (``opencode-ai``), headless, one ``opencode run`` per phase.

Each phase runs ``opencode run --format json --auto --pure --dir WORKSPACE -m
PROVIDER/MODEL --title PHASE PROMPT`` in the sandbox (``--auto``: its permission prompts
are approved, ours is the boundary; ``--pure``: no external plugins, nothing installed at
start; ``--title``: no model call to name the session). Its whole configuration is given
inline (``OPENCODE_CONFIG_CONTENT``): the metering proxy as the base URL of the model's
provider with a run token as its key, the role prompt as an instructions file, no
autoupdate or sharing. Its config, data, cache and state folders are in its home in the
run folder: none of the user's settings, sessions or credentials leak in, and no model
list is downloaded.

Like Aider it takes any provider's model; the model decides the key it is metered with.
Measured: usage and cost (the proxy), turns (model calls, as the proxy counted them),
tool calls (its stream's ``tool_use`` events). A turn budget is kept by the proxy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...metering.pricing import DEFAULT_MODEL
from ...sandbox.process import CommandResult
from ..base import PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup, bare_model, read_stream, record_reading
from .outcome import conclude_exit

PROVIDER_IDS = {"anthropic": ("anthropic", "/v1"), "openai": ("openai", "/v1"),
                "gemini": ("google", "/v1beta")}
"""opencode's id of each provider, and the path its base URL ends in."""
MODEL_LIMIT = {"context": 200_000, "output": 32_000}
"""What a model opencode has never heard of is declared to take and write."""
FIXED_ENV = {"OPENCODE_DISABLE_MODELS_FETCH": "true", "OPENCODE_DISABLE_AUTOUPDATE": "true",
             "OPENCODE_DISABLE_LSP_DOWNLOAD": "true"}


@dataclass
class OpencodeStream:
    """``--format json``: ``step_start``, ``text``, ``tool_use`` (with its result),
    ``step_finish`` (with opencode's own token count) and ``error`` events."""

    tool_calls: int = 0
    steps_finished: int = 0
    last_reason: str | None = None
    final_message: str = ""
    errors: list[str] = field(default_factory=list)
    lines: int = 0

    def read(self, event: dict[str, Any]) -> None:
        self.lines += 1
        kind = event.get("type")
        given = event.get("part")
        part: dict[str, Any] = given if isinstance(given, dict) else {}
        if kind == "tool_use":
            self.tool_calls += 1
        elif kind == "text":
            self.final_message = str(part.get("text") or "")[-8000:]
        elif kind == "step_finish":
            self.steps_finished += 1
            self.last_reason = str(part.get("reason") or "")
        elif kind == "error":
            error = event.get("error")
            data = error.get("data") if isinstance(error, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            self.errors.append(str(message or error or "error"))


class OpencodeAgent(CliAgent):
    name = "opencode"
    program = "opencode"
    label = "opencode"
    install_hint = "npm install -g opencode-ai"
    default_model = DEFAULT_MODEL
    provider_name = None  # the model's provider

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        role = setup.folder / "role.md"
        role.write_text(role_prompt(ctx.phase.agent, ctx.config.roles), encoding="utf-8")
        provider_id, path = PROVIDER_IDS[self.provider_for(setup.model).name]
        bare = bare_model(setup.model)
        model = f"{provider_id}/{bare}"
        # opencode runs offline (no model list is fetched), so it knows only the models it
        # ships with: the run's model is declared here, for its side calls too.
        declared = {"name": bare, "tool_call": True, "limit": MODEL_LIMIT}
        config = {"autoupdate": False, "share": "disabled", "instructions": [str(role)],
                  "model": model, "small_model": model,
                  "provider": {provider_id: {"options": {"baseURL": setup.api.url + path,
                                                         "apiKey": self.token},
                                             "models": {bare: declared}}}}
        workspace = str(ctx.sandbox.workspace)
        argv = [*setup.argv, "run", "--format", "json", "--auto", "--pure",
                "--dir", workspace, "-m", model, "--title", ctx.phase.phase_name,
                phase_prompt(ctx)]
        home = setup.home
        env = {**FIXED_ENV, "OPENCODE_CONFIG_CONTENT": json.dumps(config), "PWD": workspace,
               "XDG_CONFIG_HOME": str(home / ".config"),
               "XDG_DATA_HOME": str(home / ".local" / "share"),
               "XDG_CACHE_HOME": str(home / ".cache"),
               "XDG_STATE_HOME": str(home / ".local" / "state")}
        return Launch(argv, env, f"opencode run -m {model} <phase {ctx.phase.phase_name} "
                                 f"prompt>")

    def transcript_entries(self, events: Iterable[dict[str, Any]]
                           ) -> Iterable[dict[str, Any]]:
        """opencode's ``--format json`` events as messages: its text parts, and each tool
        part as a tool call with its output as the result."""
        for event in events:
            part = event.get("part")
            if not isinstance(part, dict):
                continue
            if event.get("type") == "text":
                yield {"kind": "response", "content": [{"type": "text",
                                                        "text": part.get("text")}]}
            elif event.get("type") == "tool_use":
                given = part.get("state")
                state: dict[str, Any] = given if isinstance(given, dict) else {}
                ident = str(part.get("callID") or part.get("id"))
                yield {"kind": "response", "content": [
                    {"type": "tool_use", "id": ident, "name": part.get("tool"),
                     "input": state.get("input")}]}
                yield {"kind": "request", "message": {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": ident,
                     "content": state.get("output") or state.get("status")}]}}

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        stream = read_stream(setup.output, OpencodeStream())
        state = setup.api.state
        record_reading(ctx, tool_calls=stream.tool_calls if stream.lines else None,
                       final_message=stream.final_message)
        finished = stream.last_reason == "stop" and not stream.errors
        conclude_exit(ctx, "opencode", done, state,
                      provider=self.provider_for(setup.model).label,
                      failed=not done.ok or not finished,
                      said=(stream.errors[-1] if stream.errors else None)
                      or (None if done.ok else done.tail())
                      or "it ended without finishing its turn")
