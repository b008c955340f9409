"""A local HTTP server that speaks enough of the Anthropic Messages API for the real SDK.

Each test scripts it: a queue of replies (messages, tool calls, HTTP errors) that
POST /v1/messages pops in order, and GET /v1/models for key validation. It records
every request (headers and JSON body) so tests can check what the agent really sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
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


class FakeAnthropic:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.key_checks: list[str] = []
        self.valid_keys = {VALID_KEY}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append({"headers": headers, "body": body})
            if presented_key(headers) not in self.valid_keys:
                return error(401, "authentication_error", "invalid x-api-key")
            if not self.replies:
                return message(text("(script exhausted)"))
            return self.replies.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                key = presented_key({k.lower(): v for k, v in self.headers.items()})
                fake.key_checks.append(key)
                if key not in fake.valid_keys:
                    self._send(error(401, "authentication_error", "invalid x-api-key"))
                    return
                self._send(Reply(body={"data": [{"type": "model", "id": "claude-sonnet-5-5",
                                                 "display_name": "Sonnet",
                                                 "created_at": "2025-09-29T00:00:00Z"}],
                                       "has_more": False, "first_id": "claude-sonnet-5-5",
                                       "last_id": "claude-sonnet-5-5"}))

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._send(fake._next_reply(body, headers))

        return Handler


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()
