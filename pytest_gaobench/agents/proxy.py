"""The metering proxy: a CLI agent's only road to the Messages API.

A CLI agent runs arbitrary commands, so whatever is in its environment is the agent's.
It therefore never gets the real key: it gets ``ANTHROPIC_BASE_URL`` = this proxy and a
random per-run token as its key. The proxy accepts only that token, forwards each
request to the real API with the real key, streams the answer back unchanged (SSE
included), and counts every call's usage from the responses themselves, so a run's
usage and cost are measured by the harness, not taken on the agent's word. A budget
that is spent makes the proxy refuse further calls with an Anthropic-style error and
tell the agent driver to stop; outages it sees are remembered so the driver can call
the failure infra.
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

OUTAGE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                         "te", "trailer", "upgrade", "content-length", "host",
                         "accept-encoding", "content-encoding", "x-api-key", "authorization"})
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens",
              "cache_creation_input_tokens")

UsageSink = Callable[[str, dict[str, int], bool], None]
"""Called with (model, token counts, whether this starts a new API call)."""


@dataclass
class ProxyState:
    """What the agent driver reads back after the agent's process ended."""

    budget_stop: str | None = None
    """Why a request was refused for budget; the driver reports it as the run's reason."""
    outage: str | None = None
    """The last outage seen (a 5xx/429 answer or an unreachable API), cleared by a success."""
    calls: int = 0
    stop_agent: threading.Event = field(default_factory=threading.Event)
    """Set when the agent must be stopped (a spent budget)."""


class MeteringProxy:
    """One local HTTP server per phase: ``with MeteringProxy(...) as proxy: proxy.url``."""

    def __init__(self, *, upstream: str, api_key: str, token: str, on_usage: UsageSink,
                 over_budget: Callable[[], str | None],
                 log: Callable[..., None], unix_socket: Path | None = None) -> None:
        """``on_usage`` and ``log`` are called under the proxy's lock, one call at a time.
        ``over_budget`` returns the reason further calls are refused, or None.
        ``unix_socket``: listen there (for a sandbox with a private network) instead of on
        a port of the host's loopback."""
        parts = urlsplit(upstream)
        self._upstream = parts
        self._api_key = api_key
        self._token = token
        self._on_usage = on_usage
        self._over_budget = over_budget
        self._log = log
        self.state = ProxyState()
        self._lock = threading.Lock()
        self._open: dict[http.client.HTTPConnection, socket.socket | None] = {}
        """Upstream connections in use, with their socket (a response that reads to the
        end of the connection takes the socket from its connection)."""
        self._described = False
        self.unix_socket = unix_socket
        self._server: socketserver.BaseServer = (
            _Server(("127.0.0.1", 0), _handler(self)) if unix_socket is None
            else _UnixServer(str(unix_socket), _handler(self)))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="gaobench-proxy")

    @property
    def url(self) -> str:
        """The proxy's URL on the host's loopback (not for a proxy on a Unix socket)."""
        assert isinstance(self._server, _Server)
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MeteringProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; cut the upstream streams still open (their usage so far is
        counted already), then wait for the request threads to end."""
        self._server.shutdown()
        with self._lock:
            for sock in self._open.values():
                if sock is not None:  # wakes a thread blocked reading it
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()

    # -- called by the request handler ------------------------------------------------

    def accepts(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self._token.encode())

    def refusal(self) -> str | None:
        with self._lock:
            reason = self._over_budget()
            if reason is not None:
                self.state.budget_stop = reason
                self.state.stop_agent.set()
            return reason

    def connect(self) -> http.client.HTTPConnection:
        host = self._upstream.hostname or "localhost"
        if self._upstream.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, self._upstream.port, timeout=600)
        else:
            connection = http.client.HTTPConnection(host, self._upstream.port, timeout=600)
        with self._lock:
            self._open[connection] = None
        return connection

    def sent(self, connection: http.client.HTTPConnection) -> None:
        """The request went out on ``connection``'s socket: ``close`` can now cut it."""
        with self._lock:
            self._open[connection] = connection.sock

    def release(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        with self._lock:
            self._open.pop(connection, None)

    def upstream_path(self, path: str) -> str:
        return self._upstream.path.rstrip("/") + path

    def upstream_headers(self, headers: dict[str, str]) -> dict[str, str]:
        kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        kept["x-api-key"] = self._api_key
        kept["accept-encoding"] = "identity"
        return kept

    def usage(self, model: str, tokens: dict[str, int], new_call: bool) -> None:
        with self._lock:
            if new_call:
                self.state.calls += 1
            self._on_usage(model, tokens, new_call)

    def answered(self, status: int | None, reason: str | None = None) -> None:
        with self._lock:
            if status is None or status in OUTAGE_STATUS:
                self.state.outage = reason or f"HTTP {status}"
            elif status < 400:
                self.state.outage = None

    def log(self, kind: str, **data: Any) -> None:
        with self._lock:
            self._log(kind, **data)

    def describe_once(self, body: dict[str, Any]) -> None:
        """The request set-up (model, system prompt, tools), once per phase."""
        with self._lock:
            if self._described:
                return
            self._described = True
            self._log("request_setup", model=body.get("model"),
                      max_tokens=body.get("max_tokens"), system=body.get("system"),
                      tools=[t.get("name") for t in body.get("tools") or []
                             if isinstance(t, dict)])


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # close() waits for the request threads: the count is final


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = False
    block_on_close = True


def anthropic_error(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


class SseUsage:
    """Reads a Messages API event stream as it passes and reports usage as it appears:
    ``message_start`` opens the call with its input and cache tokens, each
    ``message_delta`` adds what its cumulative counts grew by."""

    def __init__(self, proxy: MeteringProxy, model: str) -> None:
        self.proxy = proxy
        self.model = model
        self.seen: dict[str, int] = {}
        self.started = False
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                self._event(line[5:].strip())

    def _event(self, data: bytes) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "message_start":
            message = event.get("message") or {}
            self.model = str(message.get("model") or self.model)
            self.add(message.get("usage") or {}, new_call=True)
        elif event.get("type") == "message_delta" and self.started:
            self.add(event.get("usage") or {}, new_call=False)

    def add(self, usage: dict[str, Any], *, new_call: bool) -> None:
        growth = {}
        for key in TOKEN_KEYS:
            value = usage.get(key)
            if isinstance(value, int) and value > self.seen.get(key, 0):
                growth[key] = value - self.seen.get(key, 0)
                self.seen[key] = value
        self.started = True
        if growth or new_call:
            self.proxy.usage(self.model, growth, new_call)


def _handler(proxy: MeteringProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass  # every call goes to the transcript instead

        def do_GET(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def _forward(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not proxy.accepts(headers.get("x-api-key") or bearer):
                self._reply(401, anthropic_error("authentication_error",
                                                 "gaobench proxy: unknown token"))
                return
            raw = self.rfile.read(int(headers.get("content-length") or 0))
            is_message = (self.command == "POST"
                          and urlsplit(self.path).path.rstrip("/") == "/v1/messages")
            body: dict[str, Any] = {}
            if is_message:
                try:
                    parsed = json.loads(raw or b"{}")
                except ValueError:
                    parsed = {}
                body = parsed if isinstance(parsed, dict) else {}
                proxy.describe_once(body)
                reason = proxy.refusal()
                if reason is not None:
                    proxy.log("api_refused", path=self.path, reason=reason)
                    self._reply(400, anthropic_error("invalid_request_error",
                                                     f"gaobench budget exceeded: {reason}"))
                    return
            started = time.monotonic()
            connection = proxy.connect()
            try:
                self._relay(connection, raw, headers, body, is_message, started)
            finally:
                proxy.release(connection)

        def _relay(self, connection: http.client.HTTPConnection, raw: bytes,
                   headers: dict[str, str], body: dict[str, Any], is_message: bool,
                   started: float) -> None:
            model = str(body.get("model") or "")
            try:
                connection.request(self.command, proxy.upstream_path(self.path), body=raw,
                                   headers=proxy.upstream_headers(headers))
                proxy.sent(connection)
                response = connection.getresponse()
            except OSError as exc:
                reason = f"the API could not be reached ({type(exc).__name__})"
                proxy.answered(None, reason)
                proxy.log("api_call", path=self.path, model=model, status=None, error=reason,
                          seconds=round(time.monotonic() - started, 3))
                self._reply(502, anthropic_error("api_error", f"gaobench proxy: {reason}"))
                return
            proxy.answered(response.status)
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("connection", "close")
            self.close_connection = True
            streaming = "text/event-stream" in (response.getheader("content-type") or "")
            meter = SseUsage(proxy, model) if is_message and response.status == 200 else None
            if streaming:
                error = self._stream(response, meter)
                payload = b""
            else:
                payload = self._whole(response)
                error = None
                if meter is not None:
                    self._count_whole(payload, meter)
            proxy.log("api_call", path=self.path, model=meter.model if meter else model,
                      status=response.status, stream=streaming,
                      request_id=response.getheader("request-id"),
                      seconds=round(time.monotonic() - started, 3),
                      usage=meter.seen if meter else None, cut=error,
                      error=payload[:4000].decode(errors="replace")
                      if response.status >= 400 else None)

        def _stream(self, response: http.client.HTTPResponse,
                    meter: SseUsage | None) -> str | None:
            """Pass the event stream on chunk by chunk; the reason it was cut, if it was."""
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                while chunk := response.read1(65536):
                    if meter is not None:
                        meter.feed(chunk)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except OSError as exc:  # the agent went away, or close() cut the upstream
                return type(exc).__name__
            except (http.client.HTTPException, ValueError) as exc:
                return type(exc).__name__
            return None

        def _whole(self, response: http.client.HTTPResponse) -> bytes:
            payload = response.read()
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return payload

        @staticmethod
        def _count_whole(payload: bytes, meter: SseUsage) -> None:
            try:
                reply = json.loads(payload)
            except ValueError:
                return
            if isinstance(reply, dict):
                meter.model = str(reply.get("model") or meter.model)
                meter.add(reply.get("usage") or {}, new_call=True)

    return Handler
