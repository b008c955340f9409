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
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

from .api_failures import ApiFailure, classify
from .api_usage import ApiUsage
from .call_bound import CallBound
from .dialects import CallKind, Dialect, Route, json_object, json_value, normalise
from .dialects.anthropic import AnthropicDialect

if TYPE_CHECKING:
    from aiohttp import ClientResponse, ClientSession, web

BODY_LIMIT = 32 * 1024 * 1024
"""The Messages API's own request size limit: a larger body is refused (413) unread."""
REPLY_LIMIT = 64 * 1024 * 1024
"""The largest non-streaming reply read (and counted) before it is passed on."""
CLOSE_SECONDS = 2.0
"""How long ``close`` may take: requests still running are cancelled after half of it."""
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                         "te", "trailer", "upgrade", "content-length", "host",
                         "accept-encoding", "content-encoding", "x-api-key", "authorization",
                         "api-key", "x-goog-api-key"})
"""Not passed on, either way: the connection's own headers and every credential."""


@dataclass(frozen=True)
class Refusal:
    """Why a call is not forwarded. ``count_first``: the refusal rests on a bound of the
    input from the body's size; the API's exact count might let the call in."""

    reason: str
    count_first: bool = False


class Meter(Protocol):
    """The accounting behind a proxy (``metering.MeteredApi``): called from the proxy's
    thread, so it keeps its own lock."""

    def admit(self, bound: CallBound) -> Any:
        """A reservation for the call's worst case, or a ``Refusal``."""

    def count(self, reservation: Any, model: str, growth: ApiUsage, new_call: bool) -> None:
        """Usage the call's response showed (``growth``: what it added)."""

    def settle(self, reservation: Any) -> None:
        """The call ended: its reservation is released (its usage is counted already)."""


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
                 dialect: Dialect | None = None) -> None:
        """``log`` is called once per call (``api_call``, ``api_refused``) and once with the
        request set-up. ``unix_socket``: listen there (for a sandbox with a private network)
        instead of on a port of the host's loopback. ``dialect``: the provider's API
        (default: Anthropic's)."""
        self.dialect = dialect or AnthropicDialect()
        self._upstream = upstream.rstrip("/")
        self._api_key = api_key
        self._token = token
        self.meter = meter
        self._log = log
        self.unix_socket = unix_socket
        self.state = ProxyState()
        self._lock = threading.Lock()
        self._described = False
        self._port: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="gaobench-proxy")
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._egress: str | None = None

    @property
    def url(self) -> str:
        """The proxy's URL on the host's loopback (not for a proxy on a Unix socket)."""
        assert self._port is not None, "the proxy listens on a Unix socket"
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> MeteringProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
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
        self._egress = egress_proxy(self._upstream)
        self._session = ClientSession(
            auto_decompress=False, connector=TCPConnector(limit=64),
            timeout=ClientTimeout(total=None, sock_connect=30, sock_read=600))

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
            return await self._serve(request)
        finally:
            self._tasks.discard(task)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        headers = {k.lower(): v for k, v in request.headers.items()}
        presented = self.dialect.presented_token(headers, request.rel_url.query)
        if not hmac.compare_digest(presented.encode(), self._token.encode()):
            return self._error(401, "authentication_error", "gaobench proxy: unknown token")
        routed = self.dialect.route(request.method, normalise(request.rel_url.raw_path))
        if routed is None:
            with self._lock:
                self.state.refused_paths += 1
            reason = (f"gaobench proxy: {request.method} {request.rel_url.path} is not "
                      f"forwarded: only {self.dialect.metered_calls} are metered")
            self._record("api_refused", path=request.rel_url.path, reason=reason)
            return self._error(403, "permission_error", reason)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._error(413, "request_too_large",
                               f"gaobench proxy: the request is over {BODY_LIMIT} bytes")
        body = json_object(raw) if routed.kind is not CallKind.MODELS else {}
        reservation = None
        if routed.kind is CallKind.MESSAGE:
            self._describe_once(routed, body)
            bound = self.dialect.bound(routed, body, len(raw))
            admitted = await self._admit(routed, bound, body, headers)
            if isinstance(admitted, Refusal):
                self._refuse_for_budget(routed.path, admitted.reason)
                return self._error(400, "invalid_request_error",
                                   f"gaobench budget exceeded: {admitted.reason}")
            reservation = admitted
            rewritten = self.dialect.rewrite(routed, body)
            if rewritten is not None:
                body, raw = rewritten, json.dumps(rewritten).encode()
        try:
            return await self._forward(request, routed, raw, headers, body, reservation)
        finally:
            if reservation is not None:
                self.meter.settle(reservation)

    async def _admit(self, route: Route, bound: CallBound, body: dict[str, Any],
                     headers: dict[str, str]) -> Any:
        """The meter's reservation for a model call; where a bound of its input from the
        body's size is not enough, with the provider's exact count of its input instead."""
        admitted = self.meter.admit(bound)
        if not (isinstance(admitted, Refusal) and admitted.count_first):
            return admitted
        counted = await self._count_input(route, body, headers)
        if isinstance(counted, str):
            return Refusal(f"{admitted.reason}; its input could not be counted ({counted})")
        return self.meter.admit(bound.with_count(counted))

    async def _count_input(self, route: Route, body: dict[str, Any],
                           headers: dict[str, str]) -> int | str:
        """The request's input tokens by the provider's free count, or why not."""
        import aiohttp

        assert self._session is not None
        asked = self.dialect.count_request(route, body)
        if asked is None:
            return f"the {self.dialect.name} API is not asked to count input here"
        path, request = asked
        try:
            async with self._session.post(
                    self._upstream + path, json=request,
                    headers=self._upstream_headers(headers), proxy=self._egress,
                    timeout=aiohttp.ClientTimeout(total=60)) as reply:
                answer = json_value(await _whole(reply) or b"")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return type(exc).__name__
        tokens = self.dialect.counted_tokens(answer) if isinstance(answer, dict) else None
        if reply.status != 200 or tokens is None:
            return f"HTTP {reply.status} {self.dialect.error_type(answer) or ''}".strip()
        with self._lock:
            self.state.count_token_calls += 1
        return tokens

    def _upstream_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """The agent's headers as sent upstream: the real key in place of the run token."""
        sent = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
        sent.update(self.dialect.auth_headers(self._api_key))
        sent["accept-encoding"] = "identity"
        return sent

    async def _forward(self, request: web.Request, route: Route, raw: bytes,
                       headers: dict[str, str], body: dict[str, Any],
                       reservation: Any) -> web.StreamResponse:
        import aiohttp
        from aiohttp import web

        assert self._session is not None
        started = time.monotonic()
        kind, path = route.kind, route.path
        model = route.model or str(body.get("model") or "")
        query = self.dialect.forwarded_query(request.rel_url.query)
        target = self._upstream + path + (f"?{urlencode(query)}" if query else "")
        try:
            upstream = await self._session.request(request.method, target, data=raw,
                                                   headers=self._upstream_headers(headers),
                                                   proxy=self._egress)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = f"the API could not be reached ({type(exc).__name__})"
            self.answered(classify(None), reason)
            self._record("api_call", call=kind.value, path=path, model=model, status=None,
                         error=reason, seconds=round(time.monotonic() - started, 3))
            return self._error(502, "api_error", f"gaobench proxy: {reason}")
        async with upstream:
            meter = (_UsageMeter(self, reservation, model)
                     if kind is CallKind.MESSAGE and upstream.status == 200 else None)
            passed_on = {name: value for name, value in upstream.headers.items()
                         if name.lower() not in _HOP_BY_HOP}
            streaming = "text/event-stream" in upstream.headers.get("content-type", "")
            broke = False
            if streaming:
                payload, reply = b"", web.StreamResponse(status=upstream.status,
                                                         headers=passed_on)
                cut, broke = await self._stream(request, reply, upstream, meter)
            else:
                whole, cut = await _whole(upstream), None
                if whole is None:
                    payload, broke, cut = b"", True, f"reply over {REPLY_LIMIT} bytes"
                    reply = self._error(502, "api_error",
                                        f"gaobench proxy: the API's {cut}")
                else:
                    payload = whole
                    if meter is not None:
                        meter.whole(payload)
                    reply = web.Response(status=upstream.status, body=payload,
                                         headers=passed_on)
            error_type = meter.error_type if meter else self.dialect.error_type(
                json_value(payload))
            if meter is None or meter.error_type is None:  # an error event was told at once
                failure = classify(None) if broke else classify(upstream.status, error_type)
                self.answered(failure, f"HTTP {upstream.status}"
                               + (f" {error_type}" if error_type else ""))
            if kind is CallKind.COUNT_TOKENS:
                with self._lock:
                    self.state.count_token_calls += 1
            self._record("api_call", call=kind.value, path=path,
                         model=meter.model if meter else model, status=upstream.status,
                         stream=streaming, request_id=upstream.headers.get("request-id"),
                         seconds=round(time.monotonic() - started, 3),
                         usage=meter.seen.api_names() if meter else None, cut=cut,
                         error=payload[:4000].decode(errors="replace")
                         if upstream.status >= 400 else error_type)
            # The reply ends only now: an agent that has its answer finds the call counted,
            # classified and logged.
            with contextlib.suppress(ConnectionError):
                if not streaming:
                    await reply.prepare(request)
                if not (streaming and cut):
                    await reply.write_eof()
        return reply

    async def _stream(self, request: web.Request, reply: web.StreamResponse,
                      upstream: ClientResponse, meter: _UsageMeter | None
                      ) -> tuple[str | None, bool]:
        """Pass the event stream on chunk by chunk, each counted before it is passed on;
        a client that goes away does not stop the count (the rest is read and counted).
        Returns why the stream was cut short, if it was, and whether the upstream broke;
        the caller ends the reply once the call is booked."""
        client_gone: str | None = None
        with contextlib.suppress(ConnectionError):
            await reply.prepare(request)
        try:
            async for chunk in upstream.content.iter_any():
                if meter is not None:
                    meter.feed(chunk)
                if client_gone is None:
                    try:
                        await reply.write(chunk)
                    except ConnectionError as exc:
                        client_gone = f"client went away ({type(exc).__name__})"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the upstream stream broke
            return type(exc).__name__, True
        return client_gone, False

    # -- shared state -----------------------------------------------------------------

    def note_call(self) -> None:
        with self._lock:
            self.state.calls += 1

    def answered(self, failure: ApiFailure | None, reason: str) -> None:
        """Remember an infra failure; a call that succeeded clears the last one."""
        with self._lock:
            if failure is None:
                self.state.infra = None
            elif failure.is_infra:
                self.state.infra = f"{failure.value}: {reason}"

    def _refuse_for_budget(self, path: str, reason: str) -> None:
        with self._lock:
            self.state.budget_stop = self.state.budget_stop or reason
            self.state.stop_agent.set()
        self._record("api_refused", path=path, reason=reason)

    def _record(self, kind: str, **data: Any) -> None:
        with self._lock:
            self._log(kind, **data)

    def _describe_once(self, route: Route, body: dict[str, Any]) -> None:
        """The request set-up (model, output limit, system prompt, tools), once a phase."""
        with self._lock:
            if self._described:
                return
            self._described = True
            self._log("request_setup", **{"model": route.model, **self.dialect.describe(body)})

    def _error(self, status: int, kind: str, message: str) -> web.Response:
        """An error written as the provider writes it (``kind``: an Anthropic error type)."""
        from aiohttp import web

        return web.Response(status=status, body=self.dialect.error_body(status, kind, message),
                            content_type="application/json")


class _UsageMeter:
    """Reads a model call's reply as it passes and tells the meter what it used: the event
    that opens the call counts it, each event that states usage adds what its running
    totals grew by, an error event is kept and told at once; a whole reply is counted at
    once. The dialect says which lines are worth parsing and what each says."""

    def __init__(self, proxy: MeteringProxy, reservation: Any, model: str) -> None:
        self.proxy = proxy
        self.dialect = proxy.dialect
        self.reservation = reservation
        self.model = model
        self.seen = ApiUsage()
        self.started = False
        self.error_type: str | None = None
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:  # only the events that count are parsed (not each text delta)
            if line.startswith(b"data:") and self.dialect.wants(line, self.started):
                event = json_value(line[5:].strip())
                if isinstance(event, dict):
                    self._take(self.dialect.read_event(event))

    def whole(self, payload: bytes) -> None:
        self._take(self.dialect.read_whole(json_value(payload)))

    def _take(self, reading: Any) -> None:
        if reading.error_type is not None and self.error_type is None:
            self.error_type = reading.error_type
            self.proxy.answered(classify(200, self.error_type), f"HTTP 200 {self.error_type}")
        if reading.model and not self.started:
            self.model = reading.model
        if reading.starts_call and not self.started:
            self.started = True
            self.proxy.note_call()
            self._add(reading.usage or ApiUsage(), new_call=True)
        elif reading.usage is not None and self.started:
            self._add(reading.usage, new_call=False)

    def _add(self, usage: ApiUsage, *, new_call: bool) -> None:
        total = self.seen.latest(usage)
        growth = total.growth_over(self.seen)
        self.seen = total
        if growth or new_call:
            self.proxy.meter.count(self.reservation, self.model, growth, new_call)


async def _whole(upstream: ClientResponse) -> bytes | None:
    """A whole reply, read to its end; None when it is over REPLY_LIMIT."""
    parts, size = [], 0
    async for chunk in upstream.content.iter_any():
        size += len(chunk)
        if size > REPLY_LIMIT:
            return None
        parts.append(chunk)
    return b"".join(parts)


def egress_proxy(upstream: str) -> str | None:
    """The proxy the environment names for the upstream (``HTTPS_PROXY``/``HTTP_PROXY``,
    unless ``NO_PROXY`` covers its host): read once per proxy, not on every call."""
    address = urlsplit(upstream)
    if not address.hostname or proxy_bypass(address.hostname):
        return None
    return getproxies().get(address.scheme)
