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

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.spec import BenchmarkConfig, Budget
from ..sandbox.output import keep_output
from .base import PhaseContext, SetupError
from .budget import check_priced, stricter, turns_left
from .cli_outcome import conclude_exit
from .credentials import ApiKey
from .installation import installation_of, installed_cli
from .metering import MeteredApi, new_run_token
from .pricing import PriceTable
from .prompts import phase_prompt, role_prompt
from .providers import PROVIDERS, provider_of_model

INSTALL_HINT = "npm install -g @openai/codex"
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


def read_codex_stream(path: Path) -> CodexStream:
    """The stream as the harness kept it (bounded by ``keep_output``)."""
    stream = CodexStream()
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    event = json.loads(line) if line.startswith("{") else None
                except ValueError:
                    continue
                if isinstance(event, dict):
                    stream.read(event)
    return stream


class CodexAgent:
    name = "codex"

    def __init__(self, *, api_key: ApiKey | None, model: str | None = None,
                 budget: Budget | None = None, prices: PriceTable | None = None,
                 executable: str | None = None) -> None:
        """``api_key``: the harness's OpenAI key (the agent only ever sees a run token)."""
        self.api_key = api_key
        self.model = model
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.shipped()
        self.executable = executable
        self.token = new_run_token()
        self._threads: dict[str, str] = {}

    def preflight(self, config: BenchmarkConfig) -> None:
        self.cli()
        if self.api_key is None:
            raise SetupError("the codex agent needs an OpenAI API key (OPENAI_API_KEY; it "
                             "reaches the API through the harness's metering proxy)")

    def cli(self) -> Path:
        return installed_cli(self.executable, "codex", "Codex CLI", INSTALL_HINT)

    def model_for(self, config: BenchmarkConfig) -> str:
        """--gaobench-model, else the benchmark's model when OpenAI serves it (a benchmark
        written for Claude still runs with Codex), else Codex's default here."""
        own = config.model if config.model and provider_of_model(config.model).name == \
            "openai" else None
        return self.model or own or DEFAULT_CODEX_MODEL

    def run_phase(self, ctx: PhaseContext) -> None:
        self.preflight(ctx.config)
        assert self.api_key is not None
        cli = self.cli()
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.budget)
        check_priced(ctx, self.prices, model, budget)
        calls_left = turns_left(ctx, budget)
        home = ctx.sandbox.run_dir / "agent-home"
        codex_home = home / ".codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        stream_path = (ctx.sandbox.run_dir
                       / f"codex-{ctx.phase_index + 1:02d}-{ctx.phase.phase_name}.jsonl")
        installation = installation_of(cli)
        thread = self._threads.get(ctx.sandbox.run_id) if ctx.config.continue_session \
            else None
        argv = [*installation.argv, "exec"] + (["resume", thread] if thread else []) + [
            "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
            "-m", model, phase_prompt(ctx)]
        ctx.log.transcript("agent_process", phase=ctx.phase.phase_name, program="codex",
                           model=model, max_turns=calls_left, resume=thread,
                           stream=stream_path.name)
        with MeteredApi(ctx, api_key=self.api_key, token=self.token, prices=self.prices,
                        budget=budget, model=model, provider=PROVIDERS["openai"],
                        max_calls=calls_left) as api:
            write_config(codex_home / "config.toml", model=model, base_url=api.url + "/v1",
                         instructions=role_prompt(ctx.phase.agent, ctx.config.roles))
            done = ctx.sandbox.run(
                argv, timeout=max(ctx.remaining(), 0.001),
                env={"HOME": str(home), "CODEX_HOME": str(codex_home),
                     "OPENAI_API_KEY": self.token, "NO_COLOR": "1"},
                writable=[home], readable=[*installation.folders, *ctx.sandbox.shown],
                service=api.service,
                stdout_path=stream_path, cancel=api.state.stop_agent, on_wait=ctx.alive,
                display=f"codex exec <phase {ctx.phase.phase_name} prompt>")
        keep_output(stream_path, ctx.log.redactor.text)
        stream = read_codex_stream(stream_path)
        if stream.thread_id:
            self._threads[ctx.sandbox.run_id] = stream.thread_id
        ctx.usage.turns = (ctx.usage.turns or 0) + api.state.calls
        ctx.usage.tool_calls = (ctx.usage.tool_calls or 0) + len(stream.tool_calls)
        if stream.last_message:
            ctx.log.transcript("final_message", phase=ctx.phase.phase_name,
                               text=stream.last_message[:8000])
        if stream.reported_usage:
            ctx.log.transcript("agent_reported_usage", phase=ctx.phase.phase_name,
                               usage=stream.reported_usage)
        conclude_exit(ctx, "codex", done, api.state, provider="OpenAI",
                      failed=not done.ok or not stream.completed,
                      said=stream.failure or (None if done.ok else done.tail())
                      or "it ended without finishing its turn")


def write_config(path: Path, *, model: str, base_url: str, instructions: str) -> None:
    """Codex's whole configuration for one phase: the proxy as its only model provider,
    no update checks, no analytics, commands in a plain (not login) shell so they see the
    sandbox's PATH, and the role prompt (JSON strings are TOML strings)."""
    lines = [f"model = {json.dumps(model)}",
             f"model_provider = {json.dumps(PROVIDER_ID)}",
             f"developer_instructions = {json.dumps(instructions)}",
             "check_for_update_on_startup = false",
             "allow_login_shell = false",  # a login shell would reset PATH from /etc/profile
             "",
             "[analytics]",
             "enabled = false",
             "",
             f"[model_providers.{PROVIDER_ID}]",
             'name = "gaobench metering proxy"',
             f"base_url = {json.dumps(base_url)}",
             'env_key = "OPENAI_API_KEY"',
             'wire_api = "responses"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
