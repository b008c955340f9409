"""The anthropic agent (standalone mode): the Messages API tool-use loop.

Each phase is one conversation: the role's system prompt, the benchmark's
``initial_prompt`` and the phase's prompt, and the sandbox tools. The stable prefix
(system prompt and tools) and the growing history carry cache breakpoints. Transient
API failures are retried with backoff, honouring ``retry-after``, and counted; an
outage that outlasts the retries is an ``InfraError``, never the agent's failure.
The SDK is imported lazily, so the plugin loads without it being configured.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...metering.api_failures import ApiFailure, classify
from ...metering.api_usage import ApiUsage
from ...metering.budget import stricter
from ...metering.credentials import ApiKey
from ...metering.pricing import DEFAULT_MODEL, Price, PriceTable
from ...model.spec import BenchmarkConfig, Budget
from ..base import AgentError, InfraError, PhaseContext
from ..budget import check_priced, check_turn_budget, check_usage_budget
from ..prompts import phase_prompt, role_prompt
from .tool_calls import run_tools
from .tools import TOOL_SPECS, Toolbox

MAX_REPROMPTS = 2
CONTINUE = "Continue."
NOT_ANSWERED = ("No one can answer questions in this run. Make a reasonable assumption, say "
                "which, and finish the phase.")


@dataclass(frozen=True)
class AnthropicSettings:
    api_key: ApiKey | None
    model: str | None = None
    """Overrides the benchmark's `model`."""
    provider: str = "anthropic"
    max_retries: int = 6
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    max_response_tokens: int = 8192
    command_timeout: float = 120.0
    budget: Budget = field(default_factory=Budget)
    """Command-line budgets; the stricter of these and the benchmark's applies."""
    record_dir: Path | None = None
    """Write a replay cassette per benchmark here."""


class AnthropicAgent:
    name = "anthropic"
    provider_name = "anthropic"

    def __init__(self, settings: AnthropicSettings, prices: PriceTable | None = None) -> None:
        self.settings = settings
        self.prices = prices or PriceTable.shipped()
        self._client: Any = None
        self._recording: set[str] = set()
        """Run ids whose cassette this agent has started."""

    def model_for(self, config: BenchmarkConfig) -> str:
        return self.settings.model or config.model or DEFAULT_MODEL

    def run_phase(self, ctx: PhaseContext) -> None:
        if ctx.usage.tool_calls is None:  # this loop counts them all: none is 0, not unknown
            ctx.usage.tool_calls = 0
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.settings.budget)
        price = check_priced(ctx, self.prices, model, budget)
        toolbox = Toolbox(ctx.sandbox, command_timeout=self.settings.command_timeout)
        system = [{"type": "text", "text": role_prompt(ctx.phase.agent, ctx.config.roles),
                   "cache_control": {"type": "ephemeral"}}]
        tools = [dict(spec) for spec in TOOL_SPECS]
        tools[-1]["cache_control"] = {"type": "ephemeral"}
        messages: list[dict[str, Any]] = [{"role": "user", "content": [
            {"type": "text", "text": phase_prompt(ctx)}]}]
        ctx.note("request_setup", model=model,
                           max_tokens=self.settings.max_response_tokens, system=system,
                           tools=[tool["name"] for tool in tools])
        reprompts = 0
        while True:
            ctx.check_deadline()
            check_turn_budget(ctx, budget)
            _mark_cache_breakpoint(messages)
            request = {"model": model, "max_tokens": self.settings.max_response_tokens,
                       "system": system, "tools": tools, "messages": messages}
            if not _tool_results_only(messages[-1]):  # those are in the transcript already
                ctx.note("request", model=model,
                                   message=messages[-1])
            sent = time.monotonic()
            response = self._create(ctx, request)
            reply = response.model_dump(mode="json", exclude_none=True)
            self._account(ctx, reply, price)
            ctx.note("response", content=reply["content"],
                               stop_reason=reply.get("stop_reason"), usage=reply.get("usage"),
                               request_id=getattr(response, "_request_id", None),
                               seconds=round(time.monotonic() - sent, 3))
            self._record(ctx, reply)
            ctx.alive()
            check_usage_budget(ctx, budget)
            messages.append({"role": "assistant", "content": reply["content"]})
            calls = [block for block in reply["content"] if block.get("type") == "tool_use"]
            if calls:
                messages.append({"role": "user", "content": run_tools(ctx, toolbox, calls)})
            elif reply.get("stop_reason") == "max_tokens":
                messages.append({"role": "user", "content": [{"type": "text", "text": CONTINUE}]})
            elif reply.get("stop_reason") == "refusal":
                raise AgentError("the model refused to continue")
            elif asks_a_question(reply) and reprompts < MAX_REPROMPTS:
                reprompts += 1
                ctx.usage.record_intervention()
                messages.append({"role": "user",
                                 "content": [{"type": "text", "text": NOT_ANSWERED}]})
            else:
                texts = [b.get("text", "") for b in reply["content"] if b.get("type") == "text"]
                ctx.note("final_message", text="\n".join(texts))
                return

    # -- the API ------------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def _create(self, ctx: PhaseContext, request: dict[str, Any]) -> Any:
        import anthropic

        attempt = 0
        while True:
            try:
                return self.client().messages.create(**request)
            except anthropic.APIStatusError as exc:
                failure = classify(exc.status_code, _error_type(exc.body))
                reason = f"{exc.status_code} {exc.type}"
                if failure is ApiFailure.KEY_REFUSED:
                    raise InfraError(f"the API rejected the key ({reason})") from None
                if failure is ApiFailure.UNKNOWN_MODEL:
                    raise InfraError(f"the API does not know model {request['model']!r} "
                                     f"({reason})") from None
                if failure is not ApiFailure.OUTAGE:
                    raise AgentError(f"the API refused the request ({reason}: "
                                     f"{exc.api_message})") from None
                wait = retry_after(exc.response.headers)
            except anthropic.APIConnectionError as exc:
                reason, wait = type(exc).__name__, None
            if attempt >= self.settings.max_retries:
                raise InfraError(f"the Anthropic API was unavailable: {attempt + 1} attempts "
                                 f"failed, the last with {reason}")
            delay = min(self.settings.retry_base_seconds * 2 ** attempt if wait is None
                        else wait, self.settings.retry_max_seconds)
            if delay >= ctx.remaining():
                raise InfraError(f"the Anthropic API was unavailable ({reason}) and a retry "
                                 f"would pass the phase deadline")
            attempt += 1
            ctx.usage.record_retry()
            ctx.log.events.warning("api_retry", attempt=attempt, delay=delay, reason=reason)
            ctx.note("api_retry", attempt=attempt,
                               delay=delay, reason=reason)
            time.sleep(delay)

    def _account(self, ctx: PhaseContext, reply: dict[str, Any], price: Price | None) -> None:
        usage = ApiUsage.from_anthropic(reply.get("usage"))
        cost = price.cost_of(usage) if price is not None else None
        ctx.usage.record_api_call(**usage.usage_fields(), cost_usd=cost)
        ctx.usage.record_turn()

    def _record(self, ctx: PhaseContext, reply: dict[str, Any]) -> None:
        """Append a reply to this run's cassette; a run's first reply starts the cassette
        afresh (a header line naming the run), so the file holds one recording."""
        if self.settings.record_dir is None:
            return
        self.settings.record_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.record_dir / f"{ctx.config.name}.jsonl"
        lines = []
        if ctx.sandbox.run_id not in self._recording:
            self._recording.add(ctx.sandbox.run_id)
            lines.append(json.dumps({"recording": ctx.sandbox.run_id,
                                     "benchmark": ctx.config.name}))
        lines.append(json.dumps({"phase": ctx.phase.phase_name, "content": reply["content"],
                                 "stop_reason": reply.get("stop_reason")}))
        mode = "w" if len(lines) == 2 else "a"
        with path.open(mode, encoding="utf-8") as cassette:
            cassette.writelines(ctx.log.redactor.text(line) + "\n" for line in lines)


def make_client(settings: AnthropicSettings) -> Any:
    """The SDK client for the provider; retries are ours (counted), so the SDK's are off."""
    import anthropic

    if settings.provider == "bedrock":
        return anthropic.AnthropicBedrock(max_retries=0)
    if settings.provider == "vertex":
        return anthropic.AnthropicVertex(max_retries=0)
    assert settings.api_key is not None
    return anthropic.Anthropic(api_key=settings.api_key.value, max_retries=0,
                               base_url=os.environ.get("ANTHROPIC_BASE_URL"))


def asks_a_question(reply: dict[str, Any]) -> bool:
    texts = [b.get("text", "") for b in reply["content"] if b.get("type") == "text"]
    return bool(texts) and texts[-1].rstrip().endswith("?")


def _error_type(body: object) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("type")) if isinstance(error, dict) and error.get("type") else None


def retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _tool_results_only(message: dict[str, Any]) -> bool:
    """A user message made of tool results only: each was written to the transcript as a
    ``tool_result`` entry when it was made, so it is not written again as a request."""
    return all(isinstance(block, dict) and block.get("type") == "tool_result"
               for block in message["content"])


def _mark_cache_breakpoint(messages: list[dict[str, Any]]) -> None:
    """One moving breakpoint on the newest message, so each turn reuses the last one's cache.
    The previous breakpoint is on one of the few messages before it (each turn adds two),
    so only those are cleared: a long conversation costs the same per turn as a short one."""
    for entry in messages[-4:-1]:
        for block in entry["content"]:
            if isinstance(block, dict):
                block.pop("cache_control", None)
    last = messages[-1]["content"][-1]
    if isinstance(last, dict):
        last["cache_control"] = {"type": "ephemeral"}
