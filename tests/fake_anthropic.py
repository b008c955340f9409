"""A local HTTP server that speaks enough of the Anthropic Messages API for the real SDK.

Each test scripts it: a queue of replies (messages, tool calls, HTTP errors) that
POST /v1/messages pops in order, and GET /v1/models for key validation. It records
every request (headers and JSON body) so tests can check what the agent really sent,
and the usage it really served. A request with ``"stream": true`` (Claude Code's) gets
the reply as server-sent events, as the real API sends them; a reply may hang part way
through its stream, as a stalled connection would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

VALID_KEY = "sk-ant-test-" + "k" * 40


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hang_after_events: int | None = None
    """Streamed: send this many events, then hang until the server stops."""
    pause_after_events: tuple[int, float] | None = None
    """Streamed: after this many events, wait this many seconds, then send the rest."""
    error_event_after: int | None = None
    """Streamed: after this many events, an ``overloaded_error`` event ends the stream."""


def message(*content: dict[str, Any], stop_reason: str = "end_turn", input_tokens: int = 100,
            output_tokens: int = 20, cache_read: int = 0, cache_write: int = 0) -> Reply:
    return Reply(body={
        "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
        "content": list(content), "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                  "cache_read_input_tokens": cache_read,
                  "cache_creation_input_tokens": cache_write}})


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


_ids = iter(range(1, 1_000_000))


def tool(name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{next(_ids):06d}", "name": name,
            "input": arguments}


def tool_turn(*calls: dict[str, Any], **usage: int) -> Reply:
    return message(*calls, stop_reason="tool_use", **usage)


def error(status: int, kind: str, text_: str = "scripted error",
          headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"type": "error", "error": {"type": kind, "message": text_}},
                 headers=headers or {})


def presented_key(headers: dict[str, str]) -> str:
    """The SDK sends the key as x-api-key or, in newer releases, as a bearer token."""
    bearer = headers.get("authorization", "")
    return headers.get("x-api-key") or bearer.removeprefix("Bearer ").strip()


def sse_events(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A message as the streaming API sends it: its input usage first, its output last."""
    usage = dict(body["usage"])
    start_usage = {**usage, "output_tokens": min(1, usage.get("output_tokens", 0))}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {
        "type": "message_start",
        "message": {**body, "content": [], "stop_reason": None, "usage": start_usage}})]
    for index, block in enumerate(body["content"]):
        if block["type"] == "tool_use":
            start = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        events += [("content_block_start", {"type": "content_block_start", "index": index,
                                            "content_block": start}),
                   ("content_block_delta", {"type": "content_block_delta", "index": index,
                                            "delta": delta}),
                   ("content_block_stop", {"type": "content_block_stop", "index": index})]
    events += [("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": body["stop_reason"],
                                            "stop_sequence": None},
                                  "usage": {"output_tokens": usage.get("output_tokens", 0)}}),
               ("message_stop", {"type": "message_stop"})]
    return events


def lane_of(headers: dict[str, str]) -> str:
    """Which client sent a request: Claude Code ("claude-code") or the Python SDK ("sdk")."""
    return "claude-code" if "claude-cli" in headers.get("user-agent", "") else "sdk"


class FakeAnthropic:
    def __init__(self, *, keep_alive: bool = False) -> None:
        """``keep_alive``: HTTP/1.1 connections that serve many whole replies, as the real
        API's do (a stream still ends its connection)."""
        self.keep_alive = keep_alive
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        """Each POST: its path (with the query), headers and JSON body."""
        self.paths: list[str] = []
        """The path of every request that reached the server, GET and POST."""
        self.connections: list[tuple[str, int]] = []
        """The client's address of each request (one per connection it came on)."""
        self.served: list[dict[str, int]] = []
        """The usage of each message really sent (a hung stream: what it sent of it)."""
        self.released = threading.Event()
        self.lanes: dict[str, list[Reply]] = {}
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        """Answers every request from its body instead of the script (perf/run.py: any
        number of agents at once, each conversation deciding its own replies)."""
        self.delay = 0.0
        """Seconds each reply waits, as the real API's latency would."""
        self.counted = Reply(body={"input_tokens": 42})
        """The answer of ``count_tokens``."""
        self.key_checks: list[str] = []
        self.valid_keys = {VALID_KEY}
        self.models_reply: Reply | None = None
        """What GET /v1/models answers instead of the model list (an outage)."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply, lane: str | None = None) -> None:
        """Queue replies; with ``lane``, only for that client's requests (see ``lane_of``),
        so agents running in parallel each get their own script."""
        with self._lock:
            if lane is None:
                self.replies.extend(replies)
            else:
                self.lanes.setdefault(lane, []).extend(replies)

    def start(self) -> None:
        self._thread.start()

    @property
    def message_requests(self) -> list[dict[str, Any]]:
        """The requests to ``/v1/messages`` itself (not ``count_tokens``)."""
        return [r for r in self.requests if r["path"].split("?")[0].endswith("/v1/messages")]

    def served_total(self, key: str) -> int:
        return sum(usage.get(key, 0) for usage in self.served)

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str], path: str) -> Reply:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            if presented_key(headers) not in self.valid_keys:
                return error(401, "authentication_error", "invalid x-api-key")
            if self.responder is not None:
                return self.responder(body)
            queue = self.lanes.get(lane_of(headers)) or self.replies
            if not queue:
                return message(text("(script exhausted)"))
            return queue.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if fake.keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # headers and body are two writes

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_test_{len(fake.requests):04d}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                fake.paths.append(self.path)
                fake.connections.append(self.client_address[:2])
                key = presented_key({k.lower(): v for k, v in self.headers.items()})
                fake.key_checks.append(key)
                if key not in fake.valid_keys:
                    self._send(error(401, "authentication_error", "invalid x-api-key"))
                    return
                if fake.models_reply is not None:
                    self._send(fake.models_reply)
                    return
                self._send(Reply(body={"data": [{"type": "model", "id": "claude-sonnet-5-5",
                                                 "display_name": "Sonnet",
                                                 "created_at": "2025-09-29T00:00:00Z"}],
                                       "has_more": False, "first_id": "claude-sonnet-5-5",
                                       "last_id": "claude-sonnet-5-5"}))

            def _stream(self, reply: Reply) -> None:
                events = sse_events(reply.body)
                if reply.hang_after_events is not None:
                    events = events[:reply.hang_after_events]
                usage: dict[str, int] = {}
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                # With keep-alive the stream is chunked, as the real API's; else its end is
                # the connection's.
                chunked = fake.keep_alive and reply.hang_after_events is None
                if chunked:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.send_header("connection", "close")
                    self.close_connection = True
                self.end_headers()

                def send(event: bytes) -> None:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event) if chunked
                                     else event)
                    self.wfile.flush()

                for number, (name, data) in enumerate(events):
                    if number == reply.error_event_after:
                        failure = {"type": "error", "error": {"type": "overloaded_error",
                                                              "message": "Overloaded"}}
                        send(f"event: error\ndata: {json.dumps(failure)}\n\n".encode())
                        break
                    if reply.pause_after_events and number == reply.pause_after_events[0]:
                        fake.released.wait(reply.pause_after_events[1])
                    usage.update(data.get("usage") or data.get("message", {}).get("usage", {}))
                    send(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                if chunked:
                    send(b"")
                with fake._lock:
                    fake.served.append({k: v for k, v in usage.items() if isinstance(v, int)})
                if reply.hang_after_events is not None:
                    fake.released.wait(timeout=120)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.paths.append(self.path)
                fake.connections.append(self.client_address[:2])
                if self.path.split("?")[0].endswith("/count_tokens"):
                    with fake._lock:
                        fake.requests.append({"path": self.path, "headers": headers,
                                              "body": body})
                    self._send(fake.counted)
                    return
                reply = fake._next_reply(body, headers, self.path)
                if fake.delay:
                    fake.released.wait(fake.delay)
                if reply.status == 200 and body.get("stream"):
                    self._stream(reply)
                    return
                if reply.status == 200 and "usage" in reply.body:
                    with fake._lock:
                        fake.served.append(dict(reply.body["usage"]))
                self._send(reply)

        return Handler


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    """The scripted API with the harness pointed at it: its key in ANTHROPIC_API_KEY, its
    URL in ANTHROPIC_BASE_URL, and no user config file."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", VALID_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    monkeypatch.setenv("GAOBENCH_CONFIG", "/nonexistent")
    return fake_anthropic
