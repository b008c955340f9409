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
import shutil
import tempfile
from pathlib import Path

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
    """``with MeteredApi(...) as api:`` run the agent with ``api.env`` and
    ``service=api.service``; read ``api.state``.

    Where the agent's sandbox has a private network, the proxy listens on a Unix socket
    (in a folder only the harness can open) that the sandbox places inside and serves on
    its own loopback; nothing else of the host is reachable. Otherwise (no isolation, or a
    benchmark with ``allow_network``) it listens on a port of the host's loopback."""

    def __init__(self, ctx: PhaseContext, *, api_key: ApiKey, token: str, prices: PriceTable,
                 budget: Budget, model: str, upstream: str | None = None,
                 network: bool | None = None) -> None:
        """``network``: the agent command's network, as given to ``Sandbox.run``."""
        self.ctx = ctx
        self.prices = prices
        self.budget = budget
        self.model = model
        self._folder: str | None = None
        socket_path = None
        if ctx.sandbox.private_network(network):
            # Short (a Unix socket's path has ~100 bytes) and private (mode 0700).
            self._folder = tempfile.mkdtemp(prefix="gaobench-api-")
            socket_path = Path(self._folder, "proxy.sock")
        self.proxy = MeteringProxy(upstream=upstream or upstream_url(), api_key=api_key.value,
                                   token=token, on_usage=self._count,
                                   over_budget=self._over_budget, log=self._log,
                                   unix_socket=socket_path)
        self.token = token

    @property
    def service(self) -> Path | None:
        """The socket to give ``Sandbox.run`` as its service, if the proxy is on one."""
        return self.proxy.unix_socket

    @property
    def url(self) -> str:
        """The proxy's URL as the agent sees it."""
        return self.ctx.sandbox.service_url if self.service else self.proxy.url

    @property
    def env(self) -> dict[str, str]:
        """The agent's API settings (ANTHROPIC_API_BASE too: LiteLLM-based agents such as
        Aider read that name)."""
        return {"ANTHROPIC_BASE_URL": self.url, "ANTHROPIC_API_BASE": self.url,
                "ANTHROPIC_API_KEY": self.token}

    @property
    def state(self) -> ProxyState:
        return self.proxy.state

    def __enter__(self) -> MeteredApi:
        self.proxy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

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
