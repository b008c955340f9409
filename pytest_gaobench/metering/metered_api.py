"""A phase's metered road to the API for a CLI agent: the proxy, its accounting, its budget.

``MeteredApi`` starts a ``MeteringProxy`` for one phase and turns what it counts into
the phase's usage record (priced with our table, by the model each response names) and
the budget it enforces (the stricter of the benchmark's and the command line's, over
the whole run). The agent's process gets the proxy's URL and a per-run token in the
provider's own variables (``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY``, ``OPENAI_...``,
``GEMINI_...``): the real key stays in the harness. It is the proxy's ``Meter``: each
message call's worst case is reserved before it is forwarded (spent + reserved + this call
must fit the budget), counted as its response passes and released when it ends, so calls
in flight at once cannot overdraw the budget.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..model.spec import Budget
from .api_usage import ApiUsage
from .budget import Spending, usage_over_budget
from .call_bound import CallBound
from .credentials import ApiKey
from .pricing import Price, PriceTable
from .providers import PROVIDERS, Provider
from .proxy import MeteringProxy, ProxyState, Refusal

__all__ = ["Account", "MeteredApi", "ProxyState", "Reservation", "new_run_token"]


def new_run_token() -> str:
    """What the agent holds in place of the key: worthless outside this run's proxy."""
    return "gaobench-run-" + secrets.token_urlsafe(24)


class Account(Spending, Protocol):
    """Whose calls a metered road counts (an agent's phase): usage is recorded into
    ``usage``, budgets are kept over ``run_usage`` + ``usage``, a price that is not known is
    a warning, and what the proxy did (refusals, calls) is noted in the transcript."""

    def warn(self, message: str) -> None: ...
    def note(self, kind: str, **data: object) -> None: ...


@dataclass(eq=False)
class Reservation:
    """A call's worst case, held against the budget while the call is in flight."""

    tokens: int
    cost: float
    price: Price | None


class MeteredApi:
    """``with MeteredApi(...) as api:`` run the agent with ``api.env`` and
    ``service=api.service``; read ``api.state``.

    Where the agent's sandbox has a private network, the proxy listens on a Unix socket
    (in a folder only the harness can open) that the sandbox places inside and serves on
    its own loopback; nothing else of the host is reachable. Otherwise (no isolation, or a
    benchmark with ``allow_network``) it listens on a port of the host's loopback."""

    def __init__(self, account: Account, *, api_key: ApiKey, token: str, prices: PriceTable,
                 budget: Budget, model: str, upstream: str | None = None,
                 socket_url: str | None = None, socket_folder: Path | None = None,
                 provider: Provider | None = None, max_calls: int | None = None,
                 allowed_tools: frozenset[str] = frozenset()) -> None:
        """``socket_url``: listen on a Unix socket, which the agent reaches at this URL
        (the sandbox's service URL); None: on a port of the host's loopback.
        ``socket_folder``: make that socket there (a folder a container has mounted);
        None: in a private folder of its own.
        ``provider``: whose API (default Anthropic's); ``upstream`` overrides its URL.
        ``max_calls``: model calls allowed in this phase (a turn budget, for an agent
        that has no turn limit of its own; a call the API failed before answering is no
        turn). ``allowed_tools``: the hosted tools the benchmark allows (``api_tools``)."""
        self.max_calls = max_calls
        self.account = account
        self.socket_url = socket_url
        self.provider = provider or PROVIDERS["anthropic"]
        self.prices = prices
        self.budget = budget
        self.model = model
        self._folder: str | None = None
        socket_path = None
        if socket_url is not None and socket_folder is not None:
            socket_path = socket_folder / f"proxy-{uuid.uuid4().hex[:12]}.sock"
        elif socket_url is not None:
            # Short (a Unix socket's path has ~100 bytes) and private (mode 0700).
            self._folder = tempfile.mkdtemp(prefix="gaobench-api-")
            socket_path = Path(self._folder, "proxy.sock")
        self._lock = threading.Lock()
        self._reserved: list[Reservation] = []
        self._admitted = 0
        self.proxy = MeteringProxy(upstream=upstream or self.provider.upstream(),
                                   api_key=api_key.value, token=token, meter=self,
                                   log=self._log, unix_socket=socket_path,
                                   dialect=self.provider.dialect,
                                   allowed_tools=allowed_tools)
        self.token = token

    @property
    def service(self) -> Path | None:
        """The socket to give ``Sandbox.run`` as its service, if the proxy is on one."""
        return self.proxy.unix_socket

    @property
    def url(self) -> str:
        """The proxy's URL as the agent sees it."""
        return self.socket_url if self.socket_url is not None else self.proxy.url

    @property
    def env(self) -> dict[str, str]:
        """The agent's API settings, in the variables its provider's clients read."""
        return self.provider.agent_env(self.url, self.token)

    @property
    def state(self) -> ProxyState:
        return self.proxy.state

    def __enter__(self) -> MeteredApi:
        try:
            self.proxy.__enter__()
        except BaseException:  # nor its socket's folder
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        elif self.proxy.unix_socket is not None:
            self.proxy.unix_socket.unlink(missing_ok=True)

    # -- the proxy's Meter ----------------------------------------------------------------

    def admit(self, bound: CallBound) -> Reservation | Refusal:
        """Reserve a call's worst case (``CallBound``) at the model's price, or say why it
        does not fit; ``Refusal.count_first`` when the API's exact input count might
        change the answer."""
        with self._lock:
            model = bound.model or self.model
            price = self.prices.lookup(model)
            if price is None and self.budget.max_cost_usd is not None:
                return Refusal(f"max_cost_usd: no price is known for model {model!r}, so the "
                               f"budget cannot be kept; give its price with "
                               f"--gaobench-prices FILE")
            spent = usage_over_budget(self.account, self.budget, spent_up=True)
            if spent is not None:
                return Refusal(spent)
            if self.max_calls is not None and self._admitted >= self.max_calls:
                return Refusal(f"max_turns: {self.budget.max_turns} turns (model calls) "
                               f"used, the budget is {self.budget.max_turns}")
            budgeted = self.budget.max_tokens is not None or self.budget.max_cost_usd is not None
            if bound.input_tokens is None and budgeted:
                return Refusal("the request's input must be counted to keep the budget",
                               count_first=True)
            cost = bound.cost(price) if price is not None else None
            wanted = Reservation(tokens=bound.tokens or 0, cost=cost or 0.0, price=price)
            refusal = self._over_with(wanted)
            if refusal is not None:
                return Refusal(refusal, count_first=not bound.counted)
            self._reserved.append(wanted)
            self._admitted += 1
            return wanted

    def count(self, reservation: Reservation, model: str, growth: ApiUsage,
              new_call: bool) -> None:
        """Usage as the response shows it, priced by the model it names (else the one the
        call was admitted for)."""
        with self._lock:
            price = self.prices.lookup(model) if model else None
            price = price or reservation.price
            if price is None:
                self.account.warn(f"no price known for model {model!r}: its cost is reported "
                              f"as null")
            cost = price.cost_of(growth) if price is not None else None
            if new_call:
                self.account.usage.record_api_call(**growth.usage_fields(), cost_usd=cost)
            else:
                self.account.usage.add_tokens(**growth.usage_fields(), cost_usd=cost)

    def settle(self, reservation: Reservation, *, called: bool) -> None:
        """Release the call's reservation; a call the API never answered as one (an
        outage, a refused key, an error status) gives its turn back."""
        with self._lock:
            with contextlib.suppress(ValueError):
                self._reserved.remove(reservation)
            if not called:
                self._admitted -= 1

    def _over_with(self, wanted: Reservation) -> str | None:
        """Why spent + reserved + ``wanted`` would pass the budget, or None."""
        reserved_tokens = sum(r.tokens for r in self._reserved)
        reserved_cost = sum(r.cost for r in self._reserved)
        limit = self.budget.max_tokens
        if limit is not None:
            account = self.account
            used = (account.run_usage.tokens_total or 0) + (account.usage.tokens_total or 0)
            if used + reserved_tokens + wanted.tokens > limit:
                return (f"max_tokens: this call may use up to {wanted.tokens} tokens (its "
                        f"input, and its output limit for each reply it asks for); {used} "
                        f"used and {reserved_tokens} reserved by calls in flight, the "
                        f"budget is {limit}")
        budget = self.budget.max_cost_usd
        if budget is not None:
            spent = ((self.account.run_usage.cost_usd or 0.0)
                     + (self.account.usage.cost_usd or 0.0))
            if spent + reserved_cost + wanted.cost > budget:
                return (f"max_cost_usd: this call may cost up to ${wanted.cost:.4f} (its "
                        f"input, and its output limit for each reply); ${spent:.4f} spent and "
                        f"${reserved_cost:.4f} reserved by calls in flight, the budget is "
                        f"${budget:g}")
        return None

    def _log(self, kind: str, **data: object) -> None:
        self.account.note(kind, **data)
