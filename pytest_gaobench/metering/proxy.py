"""The metering proxy: a CLI agent's only road to its provider's API, and it fails closed.

A CLI agent runs arbitrary commands, so whatever is in its environment is the agent's.
It therefore never gets the real key: it gets this proxy's URL and a random per-run token.
The proxy accepts only that token and forwards only what it meters, as the provider's
``Dialect`` names it: the model calls (Anthropic's ``POST /v1/messages``, OpenAI's
``/v1/responses`` and ``/v1/chat/completions``, Gemini's ``:generateContent`` and
``:streamGenerateContent``; streamed or not), the free input counts (counted as their own
kind of call) and the model lists; every other path gets a 403 in the provider's error
format. Before a model call is forwarded its worst case is reserved against the budget
(``Meter.admit``),
so concurrent calls cannot overdraw it; usage is counted from the responses themselves as
they pass (a non-streaming reply is counted before it is released; a stream's events before
each is passed on), and a reply whose client went away is still read to its end and
counted. Every answer is classified by ``api_failures.classify``, the same way the anthropic
agent classifies its own: an outage, a refused key or an unknown model is remembered as the
harness's failure (``ProxyState.infra``), cleared only by a call that succeeds.

aiohttp serves (on the host's loopback, or on a Unix socket placed in a sandbox) and calls
upstream: one connection pool per proxy, ``HTTPS_PROXY``/``NO_PROXY`` honoured (read once,
not per call; no ``.netrc``), request
bodies read under the API's own size limit (chunked ones too), and ``close()`` bounded to
about two seconds with nothing left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from .api_failures import ApiFailure
from .dialects import Dialect, Route
from .dialects.anthropic import AnthropicDialect
from .forwarding import BODY_LIMIT, Forwarding, Meter, Refusal

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

__all__ = ["CLOSE_SECONDS", "MeteringProxy", "ProxyState", "Refusal", "egress_proxy"]

CLOSE_SECONDS = 2.0
"""How long ``close`` may take: requests still running are cancelled after half of it."""
@dataclass
class ProxyState:
    """What the agent driver reads back after the agent's process ended."""

    budget_stop: str | None = None
    """Why a request was refused for budget; the driver reports it as the run's reason."""
    infra: str | None = None
    """The last failure on the harness's side (an outage, a refused key, an unknown
    model), cleared by a call that succeeds."""
    calls: int = 0
    count_token_calls: int = 0
    refused_paths: int = 0
    stop_agent: threading.Event = field(default_factory=threading.Event)
    """Set when the agent must be stopped (a spent budget)."""


class MeteringProxy:
    """One proxy per phase: ``with MeteringProxy(...) as proxy: proxy.url``."""

    def __init__(self, *, upstream: str, api_key: str, token: str, meter: Meter,
                 log: Callable[..., None], unix_socket: Path | None = None,
                 dialect: Dialect | None = None,
                 allowed_tools: frozenset[str] = frozenset()) -> None:
        """``log`` is called once per call (``api_call``, ``api_refused``) and once with the
        request set-up. ``unix_socket``: listen there (for a sandbox with a private network)
        instead of on a port of the host's loopback. ``dialect``: the provider's API
        (default: Anthropic's). ``allowed_tools``: the hosted tools the benchmark allows."""
        self.dialect: Dialect = dialect or AnthropicDialect()
        self.allowed_tools = allowed_tools
        self._upstream = upstream.rstrip("/")
        self._api_key = api_key
        self._token = token
        self.meter = meter
        self._log = log
        self.unix_socket = unix_socket
        self.state = ProxyState()
        self.lock = threading.Lock()
        self._described = False
        self._port: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="gaobench-proxy")
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._forwarding: Forwarding | None = None

    @property
    def url(self) -> str:
        """The proxy's URL on the host's loopback (not for a proxy on a Unix socket)."""
        assert self._port is not None, "the proxy listens on a Unix socket"
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> MeteringProxy:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        except BaseException:  # a proxy that cannot serve leaves no thread behind
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving within about CLOSE_SECONDS: requests still running are cancelled
        (what they counted stays counted), the connections closed, the thread ended."""
        if not self._thread.is_alive():
            return
        stopping = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
        with contextlib.suppress(Exception):
            stopping.result(timeout=CLOSE_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=CLOSE_SECONDS / 2)
        if not self._thread.is_alive():
            self._loop.close()

    # -- the server -----------------------------------------------------------------------

    async def _start(self) -> None:
        from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

        app = web.Application(client_max_size=BODY_LIMIT)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=CLOSE_SECONDS / 4)
        await self._runner.setup()
        if self.unix_socket is not None:
            await web.UnixSite(self._runner, str(self.unix_socket)).start()
        else:  # bound here, so the port is known
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            self._port = listener.getsockname()[1]
            await web.SockSite(self._runner, listener).start()
        self._session = ClientSession(
            auto_decompress=False, connector=TCPConnector(limit=64),
            timeout=ClientTimeout(total=None, sock_connect=30, sock_read=600))
        self._forwarding = Forwarding(self, upstream=self._upstream, api_key=self._api_key,
                                      token=self._token, session=self._session,
                                      egress=egress_proxy(self._upstream))

    async def _stop(self) -> None:
        """Cancel the requests still running (what they counted stays counted), close the
        server and the upstream connections, and leave no task behind."""
        if self._tasks:  # a moment to finish what they were reading, then cancelled
            _, pending = await asyncio.wait(list(self._tasks), timeout=CLOSE_SECONDS / 4)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            assert self._forwarding is not None
            return await self._forwarding.serve(request)
        finally:
            self._tasks.discard(task)

    # -- shared state -----------------------------------------------------------------

    def note_call(self) -> None:
        with self.lock:
            self.state.calls += 1

    def note_count_tokens(self) -> None:
        with self.lock:
            self.state.count_token_calls += 1

    def note_refused_path(self) -> None:
        with self.lock:
            self.state.refused_paths += 1

    def answered(self, failure: ApiFailure | None, reason: str) -> None:
        """Remember an infra failure; a call that succeeded clears the last one."""
        with self.lock:
            if failure is None:
                self.state.infra = None
            elif failure.is_infra:
                self.state.infra = f"{failure.value}: {reason}"

    def refuse_for_budget(self, path: str, reason: str) -> None:
        with self.lock:
            self.state.budget_stop = self.state.budget_stop or reason
            self.state.stop_agent.set()
        self.record("api_refused", path=path, reason=reason)

    def record(self, kind: str, **data: Any) -> None:
        with self.lock:
            self._log(kind, **data)

    def describe_once(self, route: Route, body: dict[str, Any]) -> None:
        """The request set-up (model, output limit, system prompt, tools), once a phase."""
        with self.lock:
            if self._described:
                return
            self._described = True
            self._log("request_setup", **{"model": route.model, **self.dialect.describe(body)})

def egress_proxy(upstream: str) -> str | None:
    """The proxy the environment names for the upstream (``HTTPS_PROXY``/``HTTP_PROXY``,
    unless ``NO_PROXY`` covers its host): read once per proxy, not on every call."""
    address = urlsplit(upstream)
    if not address.hostname or proxy_bypass(address.hostname):
        return None
    return getproxies().get(address.scheme)
