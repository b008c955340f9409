"""One request's way through the metering proxy: the run token checked, the route the
provider's dialect allows, the call's worst case admitted against the budget (with the
API's free input count where the body's size is not bound enough), the real key put in,
the reply passed back as it comes and counted as it passes (``UsageMeter``), and the
answer classified. The proxy's lifecycle (its thread, server and close) is ``proxy``."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from .api_failures import ApiFailure, classify
from .api_usage import ApiUsage
from .call_bound import CallBound
from .dialects import CallKind, Dialect, Route, json_object, json_value, normalise

if TYPE_CHECKING:
    from aiohttp import ClientResponse, ClientSession, web

BODY_LIMIT = 32 * 1024 * 1024
"""The Messages API's own request size limit: a larger body is refused (413) unread."""
REPLY_LIMIT = 64 * 1024 * 1024
"""The largest non-streaming reply read (and counted) before it is passed on."""
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
    """The accounting behind a proxy (``metered_api.MeteredApi``): called from the proxy's
    thread, so it keeps its own lock."""

    def admit(self, bound: CallBound) -> Any:
        """A reservation for the call's worst case, or a ``Refusal``."""

    def count(self, reservation: Any, model: str, growth: ApiUsage, new_call: bool) -> None:
        """Usage the call's response showed (``growth``: what it added)."""

    def settle(self, reservation: Any, *, called: bool) -> None:
        """The call ended: its reservation is released (its usage is counted already).
        ``called``: the provider answered it as a call (one that failed first is no turn)."""


class Tally(Protocol):
    """What a request tells its proxy (``proxy.MeteringProxy``, which keeps it under its
    lock): the calls, the refusals, the failures, and one line of the run log each."""

    @property
    def dialect(self) -> Dialect: ...
    @property
    def meter(self) -> Meter: ...
    @property
    def allowed_tools(self) -> frozenset[str]: ...
    def record(self, kind: str, **data: Any) -> None: ...
    def answered(self, failure: ApiFailure | None, reason: str) -> None: ...
    def note_call(self) -> None: ...
    def note_count_tokens(self) -> None: ...
    def note_refused_path(self) -> None: ...
    def refuse_for_budget(self, path: str, reason: str) -> None: ...
    def describe_once(self, route: Route, body: dict[str, Any]) -> None: ...


class Forwarding:
    """How one proxy handles each request (made when its server starts)."""

    def __init__(self, proxy: Tally, *, upstream: str, api_key: str, token: str,
                 session: ClientSession, egress: str | None) -> None:
        self.proxy = proxy
        self.upstream = upstream
        self.api_key = api_key
        self.token = token
        self.session = session
        self.egress = egress

    async def serve(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        headers = {k.lower(): v for k, v in request.headers.items()}
        presented = self.proxy.dialect.presented_token(headers, request.rel_url.query)
        if not hmac.compare_digest(presented.encode(), self.token.encode()):
            return self._error(401, "authentication_error", "gaobench proxy: unknown token")
        routed = self.proxy.dialect.route(request.method, normalise(request.rel_url.raw_path))
        if routed is None:
            self.proxy.note_refused_path()
            reason = (f"gaobench proxy: {request.method} {request.rel_url.path} is not "
                      f"forwarded: only {self.proxy.dialect.metered_calls} are metered")
            self.proxy.record("api_refused", path=request.rel_url.path, reason=reason)
            return self._error(403, "permission_error", reason)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._error(413, "request_too_large",
                               f"gaobench proxy: the request is over {BODY_LIMIT} bytes")
        body = json_object(raw) if routed.kind is not CallKind.MODELS else {}
        meter = None
        if routed.kind is CallKind.MESSAGE:
            self.proxy.describe_once(routed, body)
            problem = self.proxy.dialect.refusal(routed, body, self.proxy.allowed_tools)
            if problem is not None:
                self.proxy.record("api_refused", path=routed.path, reason=problem)
                return self._error(400, "invalid_request_error", f"gaobench proxy: {problem}")
            bound = self.proxy.dialect.bound(routed, body, len(raw))
            admitted = await self._admit(routed, bound, body, headers)
            if isinstance(admitted, Refusal):
                self.proxy.refuse_for_budget(routed.path, admitted.reason)
                return self._error(400, "invalid_request_error",
                                   f"gaobench budget exceeded: {admitted.reason}")
            meter = UsageMeter(self.proxy, admitted, bound)
            rewritten = self.proxy.dialect.rewrite(routed, body)
            if rewritten is not None:
                body, raw = rewritten, json.dumps(rewritten).encode()
        try:
            return await self._forward(request, routed, raw, headers, body, meter)
        finally:
            if meter is not None:
                meter.charge_if_cut()
                self.proxy.meter.settle(meter.reservation, called=meter.started)

    async def _admit(self, route: Route, bound: CallBound, body: dict[str, Any],
                     headers: dict[str, str]) -> Any:
        """The meter's reservation for a model call; where a bound of its input from the
        body's size is not enough, with the provider's exact count of its input instead."""
        admitted = self.proxy.meter.admit(bound)
        if not (isinstance(admitted, Refusal) and admitted.count_first):
            return admitted
        counted = await self._count_input(route, body, headers)
        if isinstance(counted, str):
            return Refusal(f"{admitted.reason}; its input could not be counted ({counted})")
        return self.proxy.meter.admit(bound.with_count(counted))

    async def _count_input(self, route: Route, body: dict[str, Any],
                           headers: dict[str, str]) -> int | str:
        """The request's input tokens by the provider's free count, or why not."""
        import aiohttp

        asked = self.proxy.dialect.count_request(route, body)
        if asked is None:
            return f"the {self.proxy.dialect.name} API is not asked to count input here"
        path, request = asked
        try:
            async with self.session.post(
                    self.upstream + path, json=request,
                    headers=self.upstream_headers(headers), proxy=self.egress,
                    timeout=aiohttp.ClientTimeout(total=60)) as reply:
                got = await _whole(reply)
                answer = json_value(got) if isinstance(got, bytes) else None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return type(exc).__name__
        tokens = self.proxy.dialect.counted_tokens(answer) if isinstance(answer, dict) else None
        if reply.status != 200 or tokens is None:
            return f"HTTP {reply.status} {self.proxy.dialect.error_type(answer) or ''}".strip()
        self.proxy.note_count_tokens()
        return tokens

    def upstream_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """The agent's headers as sent upstream: only those its provider's dialect lets
        through, and the real key in place of the run token."""
        sent = self.proxy.dialect.forwarded_headers(headers)
        sent.update(self.proxy.dialect.auth_headers(self.api_key))
        sent["accept-encoding"] = "identity"
        return sent

    async def _forward(self, request: web.Request, route: Route, raw: bytes,
                       headers: dict[str, str], body: dict[str, Any],
                       call: UsageMeter | None) -> web.StreamResponse:
        import aiohttp
        from aiohttp import web

        started = time.monotonic()
        kind, path = route.kind, route.path
        model = route.model or str(body.get("model") or "")
        query = self.proxy.dialect.forwarded_query(request.rel_url.query)
        target = self.upstream + path + (f"?{urlencode(query)}" if query else "")
        if call is not None:
            call.sent = True
        try:
            upstream = await self.session.request(request.method, target, data=raw,
                                                   headers=self.upstream_headers(headers),
                                                   proxy=self.egress)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = f"the API could not be reached ({type(exc).__name__})"
            if call is not None:
                call.failed = True
            self.proxy.answered(classify(None), reason)
            self.proxy.record("api_call", call=kind.value, path=path, model=model, status=None,
                         error=reason, seconds=round(time.monotonic() - started, 3))
            return self._error(502, "api_error", f"gaobench proxy: {reason}")
        async with upstream:
            meter = call if upstream.status == 200 else None
            if call is not None:
                call.failed = upstream.status != 200
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
                if not isinstance(whole, bytes):
                    payload, broke, cut = b"", True, whole
                    reply = self._error(502, "api_error",
                                        f"gaobench proxy: the API's reply {cut}")
                else:
                    payload = whole
                    if meter is not None:
                        meter.whole(payload)
                    reply = web.Response(status=upstream.status, body=payload,
                                         headers=passed_on)
            error_type = meter.error_type if meter else self.proxy.dialect.error_type(
                json_value(payload))
            if meter is None or meter.error_type is None:  # an error event was told at once
                failure = classify(None) if broke else classify(upstream.status, error_type)
                self.proxy.answered(failure, f"HTTP {upstream.status}"
                               + (f" {error_type}" if error_type else ""))
            if kind is CallKind.COUNT_TOKENS:
                self.proxy.note_count_tokens()
            self.proxy.record("api_call", call=kind.value, path=path,
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
                      upstream: ClientResponse, meter: UsageMeter | None
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
        if meter is not None:
            meter.flush()
        return client_gone, False

    def _error(self, status: int, kind: str, message: str) -> web.Response:
        """An error written as the provider writes it (``kind``: an Anthropic error type)."""
        from aiohttp import web

        body = self.proxy.dialect.error_body(status, kind, message)
        return web.Response(status=status, body=body, content_type="application/json")


class UsageMeter:
    """One model call, from its admission to its end: reads the reply as it passes and
    tells the meter what it used (the event that opens the call counts it, each event that
    states usage adds what its running totals grew by, an error event is kept and told at
    once; a whole reply is counted at once). The dialect says which lines are worth
    parsing and what each says. A call sent whose usage never came (the agent left and
    the phase ended, the stream broke) is charged its reservation: the provider bills it
    whether or not anyone read it."""

    def __init__(self, proxy: Tally, reservation: Any, bound: CallBound) -> None:
        self.proxy = proxy
        self.dialect = proxy.dialect
        self.reservation = reservation
        self.bound = bound
        self.model = bound.model
        self.seen = ApiUsage()
        self.started = False
        self.ended = False
        """The event (or whole reply) that states the call's final usage was read."""
        self.sent = False
        self.failed = False
        """Answered with an error status, or never reached the API: nothing to charge."""
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

    def flush(self) -> None:
        """The stream ended: its last line counts even without a line break after it."""
        if self._buffer:
            self.feed(b"\n")

    def whole(self, payload: bytes) -> None:
        self._take(self.dialect.read_whole(json_value(payload)))

    def charge_if_cut(self) -> None:
        """Charge what the reservation allowed and the replies did not state, for a call
        that reached the API but whose usage never came."""
        if not self.sent or self.failed or self.ended or self.error_type is not None:
            return
        rest = ApiUsage(input=0 if self.started else self.bound.input_tokens or 0,
                        output=max(self.bound.max_output - self.seen.output, 0))
        self.proxy.record("api_call_charged", model=self.model,
                          reason="the call's usage never came (its reply was cut off): "
                                 "what its reservation allowed is charged",
                          usage=rest.api_names())
        if not self.started:
            self.started = True
            self.proxy.note_call()
            self.proxy.meter.count(self.reservation, self.model, rest, True)
        elif rest:
            self.proxy.meter.count(self.reservation, self.model, rest, False)
        self.ended = True

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
        if reading.ends_call and self.started:
            self.ended = True

    def _add(self, usage: ApiUsage, *, new_call: bool) -> None:
        total = self.seen.latest(usage)
        growth = total.growth_over(self.seen)
        self.seen = total
        if growth or new_call:
            self.proxy.meter.count(self.reservation, self.model, growth, new_call)


async def _whole(upstream: ClientResponse) -> bytes | str:
    """A whole reply, read to its end; else why not (over REPLY_LIMIT, or broken off)."""
    import aiohttp

    parts, size = [], 0
    try:
        async for chunk in upstream.content.iter_any():
            size += len(chunk)
            if size > REPLY_LIMIT:
                return f"is over {REPLY_LIMIT} bytes"
            parts.append(chunk)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return f"broke off ({type(exc).__name__})"
    return b"".join(parts)
