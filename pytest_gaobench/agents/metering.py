"""A phase's metered road to the API for a CLI agent: the proxy, its accounting, its budget.

``MeteredApi`` starts a ``MeteringProxy`` for one phase and turns what it counts into
the phase's usage record (priced with our table, by the model each response names) and
the budget it enforces (the stricter of the benchmark's and the command line's, over
the whole run). The agent's process gets ``ANTHROPIC_BASE_URL`` and a per-run token in
``ANTHROPIC_API_KEY``: the real key stays in the harness.
"""

from __future__ import annotations

import os
import secrets

from ..model.spec import Budget
from .base import PhaseContext
from .budget import usage_over_budget
from .credentials import ApiKey
from .pricing import PriceTable
from .proxy import MeteringProxy, ProxyState

DEFAULT_UPSTREAM = "https://api.anthropic.com"


def new_run_token() -> str:
    """What the agent holds in place of the key: worthless outside this run's proxy."""
    return "gaobench-run-" + secrets.token_urlsafe(24)


def upstream_url() -> str:
    """Where the proxy forwards: the harness's own ANTHROPIC_BASE_URL, else the API."""
    return os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_UPSTREAM


class MeteredApi:
    """``with MeteredApi(...) as api:`` run the agent with ``api.env``; read ``api.state``."""

    def __init__(self, ctx: PhaseContext, *, api_key: ApiKey, token: str, prices: PriceTable,
                 budget: Budget, model: str, upstream: str | None = None) -> None:
        self.ctx = ctx
        self.prices = prices
        self.budget = budget
        self.model = model
        self.proxy = MeteringProxy(upstream=upstream or upstream_url(), api_key=api_key.value,
                                   token=token, on_usage=self._count,
                                   over_budget=self._over_budget, log=self._log)
        self.token = token

    @property
    def env(self) -> dict[str, str]:
        """The agent's API settings (ANTHROPIC_API_BASE too: LiteLLM-based agents such as
        Aider read that name)."""
        return {"ANTHROPIC_BASE_URL": self.proxy.url, "ANTHROPIC_API_BASE": self.proxy.url,
                "ANTHROPIC_API_KEY": self.token}

    @property
    def state(self) -> ProxyState:
        return self.proxy.state

    def __enter__(self) -> MeteredApi:
        self.proxy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.close()

    def _count(self, model: str, tokens: dict[str, int], new_call: bool) -> None:
        counts = {"tokens_input": tokens.get("input_tokens", 0),
                  "tokens_output": tokens.get("output_tokens", 0),
                  "tokens_cache_read": tokens.get("cache_read_input_tokens", 0),
                  "tokens_cache_write": tokens.get("cache_creation_input_tokens", 0)}
        price = self.prices.lookup(model or self.model)
        if price is None:
            self.ctx.warn(f"no price known for model {model!r}: its cost is reported as null")
        cost = price.cost(**counts) if price is not None else None
        if new_call:
            self.ctx.usage.record_api_call(**counts, cost_usd=cost)
        else:
            self.ctx.usage.add_tokens(**counts, cost_usd=cost)

    def _over_budget(self) -> str | None:
        return usage_over_budget(self.ctx, self.budget, spent_up=True)

    def _log(self, kind: str, **data: object) -> None:
        self.ctx.log.transcript(kind, phase=self.ctx.phase.phase_name, **data)
