"""How a CLI agent's phase ended, from its exit, the proxy's view and its own stream.

Shared by the CLI agents, so all read the same way: a deadline
is a timeout, a spent budget (at the proxy, or Claude Code's own turn limit) is a budget
stop, a failure while the API was out is infra, any other failure is the agent's.
"""

from __future__ import annotations

from collections.abc import Collection

from ...metering.api_usage import ApiUsage
from ...metering.metered_api import ProxyState
from ...sandbox.output import last_lines
from ...sandbox.process import CommandResult
from ..base import AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .base import record_reading
from .claude_stream import ClaudeStream


def record_stream(ctx: PhaseContext, stream: ClaudeStream) -> None:
    """Turns and tool calls as the agent's stream shows them (nothing when it had none)."""
    if not stream.lines:
        return
    ctx.usage.turns = (ctx.usage.turns or 0) + (stream.num_turns or len(stream.messages))
    record_reading(ctx, tool_calls=len(stream.tool_uses), final_message=stream.final_message)


def compare_with_proxy(ctx: PhaseContext, program: str, said: ApiUsage,
                       compared: Collection[str]) -> None:
    """The proxy's count is the record; an agent's own report of the phase's usage that
    differs (in the ``compared`` fields of ``Usage``: those it reported) is worth a
    warning, as it means one of the two counts is wrong."""
    usage = ctx.usage
    counted = {"tokens_input": usage.tokens_input or 0, "tokens_output": usage.tokens_output
               or 0, "tokens_cache_read": usage.tokens_cache_read or 0,
               "tokens_cache_write": usage.tokens_cache_write or 0}
    reported = said.usage_fields()
    differ = [f"{name.removeprefix('tokens_')} {reported[name]} (proxy: {counted[name]})"
              for name in compared if reported[name] != counted[name]]
    if differ:
        ctx.warn(f"phase {ctx.phase.phase_name!r}: {program} reported other usage than the "
                 f"metering proxy counted: {', '.join(differ)}; the proxy's count is kept")


def conclude(ctx: PhaseContext, program: str, done: CommandResult, state: ProxyState | None,
             stream: ClaudeStream, *, max_turns: int | None = None) -> None:
    """Raise what the phase's end means; return when the phase's work is done."""
    _stopped(ctx, program, done, state)
    if stream.subtype == "error_max_turns":
        raise BudgetExceeded(f"max_turns: {program} used its {max_turns or '?'} turns "
                             f"without finishing")
    failed = not done.ok or stream.is_error or (stream.lines > 0 and stream.result is None)
    said = (stream.final_message if stream.is_error else None) or done.tail()
    conclude_exit(ctx, program, done, state, failed=failed, said=said)


def conclude_exit(ctx: PhaseContext, program: str, done: CommandResult,
                  state: ProxyState | None, *, failed: bool | None = None,
                  said: str | None = None, provider: str = "Anthropic") -> None:
    """The end of a phase as its exit and the proxy tell it (``failed``: the agent's own
    output says so, beyond its exit code; ``said``: what it said, else its output's end)."""
    _stopped(ctx, program, done, state, provider)
    if not (failed if failed is not None else not done.ok):
        return
    if state is not None and state.infra:
        raise _outage(program, state.infra, provider)
    said = said or done.tail()
    code = f"exited with {done.exit_code}" if done.exit_code else "reported an error"
    raise AgentError(f"{program} {code}: {last_lines(said, 15, 2000)}".rstrip(": "))


def _stopped(ctx: PhaseContext, program: str, done: CommandResult,
             state: ProxyState | None, provider: str = "Anthropic") -> None:
    """Raise what stopped the phase: its budget or its deadline, or, when the API was
    failing on the harness's side then (its last call an outage, a refused key, an unknown
    model), infra: the turns it spent retrying and the time it retried for were the
    outage's."""
    budget_stop = state.budget_stop if state is not None else None
    if state is not None and state.infra and (done.timed_out or budget_stop):
        raise _outage(program, state.infra, provider)
    if budget_stop:
        raise BudgetExceeded(budget_stop)
    if done.timed_out:
        raise PhaseTimeout(f"phase {ctx.phase.phase_name!r}: {program} was stopped at the "
                           f"phase deadline after {done.duration_seconds:.2f}s")


def _outage(program: str, infra: str, provider: str) -> InfraError:
    return InfraError(f"the {provider} API failed {program} on the harness's side ({infra})")
