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

from pathlib import Path

from ..model.spec import BenchmarkConfig, Budget
from ..sandbox.output import keep_output
from .api_usage import ApiUsage
from .base import PhaseContext, SetupError
from .budget import check_priced, stricter, turns_left
from .claude_stream import ClaudeStream, read_claude_stream
from .cli_outcome import conclude, record_stream
from .credentials import ApiKey
from .installation import installation_of, installed_cli
from .metering import MeteredApi, new_run_token
from .pricing import DEFAULT_MODEL, PriceTable
from .prompts import phase_prompt, role_prompt

INSTALL_HINT = "npm install -g @anthropic-ai/claude-code"
FIXED_ENV = {
    "IS_SANDBOX": "1",  # Claude Code refuses bypassPermissions as root without it
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_AUTOUPDATER": "1",
}


class ClaudeCodeAgent:
    name = "claude-code"

    def __init__(self, *, api_key: ApiKey | None, model: str | None = None,
                 budget: Budget | None = None, prices: PriceTable | None = None,
                 executable: str | None = None) -> None:
        """``executable``: the ``claude`` to run (default: the one on PATH)."""
        self.api_key = api_key
        self.model = model
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.shipped()
        self.executable = executable
        self.token = new_run_token()
        self._sessions: dict[str, str] = {}
        """Claude Code's session id per run, for benchmarks that continue one session."""

    def preflight(self, config: BenchmarkConfig) -> None:
        """Before any work: the CLI is installed and there is a key to meter with."""
        self.cli()
        if self.api_key is None:
            raise SetupError("the claude-code agent needs an Anthropic API key (it reaches "
                             "the API through the harness's metering proxy)")

    def cli(self) -> Path:
        return installed_cli(self.executable, "claude", "Claude Code CLI", INSTALL_HINT)

    def model_for(self, config: BenchmarkConfig) -> str:
        return self.model or config.model or DEFAULT_MODEL

    def run_phase(self, ctx: PhaseContext) -> None:
        self.preflight(ctx.config)
        assert self.api_key is not None
        cli = self.cli()
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.budget)
        check_priced(ctx, self.prices, model, budget)
        turns = turns_left(ctx, budget)
        home = ctx.sandbox.run_dir / "agent-home"
        (home / ".claude").mkdir(parents=True, exist_ok=True)
        stream_path = (ctx.sandbox.run_dir
                       / f"claude-{ctx.phase_index + 1:02d}-{ctx.phase.phase_name}.jsonl")
        argv = [str(cli), "-p", phase_prompt(ctx), "--output-format", "stream-json",
                "--verbose", "--permission-mode", "bypassPermissions", "--model", model,
                "--append-system-prompt", role_prompt(ctx.phase.agent, ctx.config.roles)]
        if turns is not None:
            argv += ["--max-turns", str(turns)]
        session = self._sessions.get(ctx.sandbox.run_id)
        if ctx.config.continue_session and session:
            argv += ["--resume", session]
        ctx.log.transcript("agent_process", phase=ctx.phase.phase_name, program="claude",
                           model=model, max_turns=turns, resume=session,
                           stream=stream_path.name)
        with MeteredApi(ctx, api_key=self.api_key, token=self.token, prices=self.prices,
                        budget=budget, model=model) as api:
            done = ctx.sandbox.run(
                argv, timeout=max(ctx.remaining(), 0.001),
                env={**FIXED_ENV, **api.env, "HOME": str(home),
                     "CLAUDE_CONFIG_DIR": str(home / ".claude")},
                writable=[home], readable=[*installation_of(cli).folders, *ctx.sandbox.shown],
                service=api.service,
                stdout_path=stream_path, cancel=api.state.stop_agent, on_wait=ctx.alive,
                display=f"claude -p <phase {ctx.phase.phase_name} prompt>")
        keep_output(stream_path, ctx.log.redactor.text)
        stream = read_claude_stream(stream_path)
        if stream.session_id:
            self._sessions[ctx.sandbox.run_id] = stream.session_id
        record_stream(ctx, stream)
        compare_with_proxy(ctx, stream)
        conclude(ctx, "claude", done, api.state, stream, max_turns=turns)


def compare_with_proxy(ctx: PhaseContext, stream: ClaudeStream) -> None:
    """The proxy's count is the record; a different self-report is worth a warning."""
    reported = stream.reported_usage
    if not reported:
        return
    said = ApiUsage.from_anthropic(reported).api_names()
    counted = ApiUsage(input=ctx.usage.tokens_input or 0, output=ctx.usage.tokens_output or 0,
                       cache_read=ctx.usage.tokens_cache_read or 0,
                       cache_write_5m=ctx.usage.tokens_cache_write or 0).api_names()
    differ = [f"{key} {said[key]} (proxy: {counted[key]})" for key in said
              if key in reported and said[key] != counted[key]]
    ctx.log.transcript("agent_reported_usage", phase=ctx.phase.phase_name, usage=reported,
                       cost_usd=(stream.result or {}).get("total_cost_usd"))
    if differ:
        ctx.warn(f"phase {ctx.phase.phase_name!r}: claude reported other usage than the "
                 f"metering proxy counted: {', '.join(differ)}; the proxy's count is kept")
