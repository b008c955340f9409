"""The claude-code agent: the real Claude Code CLI, headless, one process per phase.

Each phase runs ``claude -p PROMPT --output-format stream-json --verbose
--permission-mode bypassPermissions`` in the workspace, in the sandbox, with the role
prompt appended to Claude Code's own system prompt and ``--max-turns`` from the turn
budget. It gets a home of its own in the run folder (no user settings, hooks or
credentials leak in; its session files stay with the run), and reaches the API only
through the run's metering proxy with a per-run token: the real key never enters its
environment, and the usage and cost are what the proxy counted. Its whole stream is
kept beside the transcript as ``claude-<NN>-<phase>.jsonl``, written as it happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...metering.api_usage import ApiUsage, fields_named
from ...metering.pricing import DEFAULT_MODEL
from ...sandbox.process import CommandResult
from ..base import PhaseContext
from ..prompts import phase_prompt, role_prompt
from .base import CliAgent, Launch, PhaseSetup
from .claude_stream import ClaudeStream, claude_transcript, read_claude_stream
from .outcome import compare_with_proxy, conclude, record_stream

FIXED_ENV = {
    "IS_SANDBOX": "1",  # Claude Code refuses bypassPermissions as root without it
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_AUTOUPDATER": "1",
}


class ClaudeCodeAgent(CliAgent):
    name = "claude-code"
    program = "claude"
    label = "Claude Code CLI"
    install_hint = "npm install -g @anthropic-ai/claude-code"
    default_model = DEFAULT_MODEL
    proxy_keeps_turns = False  # --max-turns
    turns_from_stream = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._sessions: dict[str, str] = {}
        """Claude Code's session id per run, for benchmarks that continue one session."""

    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        (setup.home / ".claude").mkdir(exist_ok=True)
        argv = [*setup.argv, "-p", phase_prompt(ctx), "--output-format",
                "stream-json", "--verbose", "--permission-mode", "bypassPermissions",
                "--model", setup.model,
                "--append-system-prompt", role_prompt(ctx.phase.agent, ctx.config.roles)]
        if setup.turns is not None:
            argv += ["--max-turns", str(setup.turns)]
        session = self._sessions.get(ctx.sandbox.run_id)
        if ctx.config.continue_session and session:
            argv += ["--resume", session]
        return Launch(argv, {**FIXED_ENV, **setup.api.env,
                             "CLAUDE_CONFIG_DIR": str(setup.home / ".claude")},
                      f"claude -p <phase {ctx.phase.phase_name} prompt>", {"resume": session})

    def transcript_entries(self, events: Iterable[dict[str, Any]]
                           ) -> Iterable[dict[str, Any]]:
        return claude_transcript(events)

    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        stream = read_claude_stream(setup.output)
        if stream.session_id:
            self._sessions[ctx.sandbox.run_id] = stream.session_id
        record_stream(ctx, stream)
        report_usage(ctx, stream)
        conclude(ctx, "claude", done, setup.api.state, stream, max_turns=setup.turns)


def report_usage(ctx: PhaseContext, stream: ClaudeStream) -> None:
    """Claude Code's own count, logged and compared with the proxy's."""
    reported = stream.reported_usage
    if not reported:
        return
    ctx.note("agent_reported_usage", usage=reported,
                       cost_usd=(stream.result or {}).get("total_cost_usd"))
    compare_with_proxy(ctx, "claude", ApiUsage.from_anthropic(reported),
                       fields_named(reported))
