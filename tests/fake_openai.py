"""A local HTTP server that speaks enough of the OpenAI API for Codex CLI and the tests.

POST /v1/responses (the Responses API, as Codex calls it) and POST /v1/chat/completions
pop scripted turns in order; each is answered streamed (server-sent events, as the real
API sends them) when the request asks for a stream, else whole. A turn is either a shell
command (a ``function_call`` of Codex's ``exec_command`` tool; a ``tool_calls`` entry in
Chat Completions) or a final message. Usage is what the script says, with cached input
inside ``input_tokens`` as the real API counts it; a streamed chat call states its usage
only when asked (``stream_options.include_usage``). Every request is recorded, and the
usage of every reply really sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

VALID_OPENAI_KEY = "sk-proj-test-" + "o" * 40


@dataclass
class Turn:
    command: str | None = None
    """A shell command to run; None: a final message."""
    text: str = "Done."
    input_tokens: int = 100
    cached_tokens: int = 0
    output_tokens: int = 20
    status: int = 200
    error: dict[str, Any] | None = None
    hang: bool = False
    """Streamed: send the opening event, then hang until the server stops."""

    def usage(self) -> dict[str, Any]:
        return {"input_tokens": self.input_tokens,
                "input_tokens_details": {"cached_tokens": self.cached_tokens},
                "output_tokens": self.output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.input_tokens + self.output_tokens}

    def chat_usage(self) -> dict[str, Any]:
        return {"prompt_tokens": self.input_tokens,
                "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
                "completion_tokens": self.output_tokens,
                "total_tokens": self.input_tokens + self.output_tokens}


def run(command: str, **usage: Any) -> Turn:
    return Turn(command=command, **usage)


def say(text: str = "Done.", **usage: Any) -> Turn:
    return Turn(text=text, **usage)


def failure(status: int, code: str, message: str = "scripted error") -> Turn:
    return Turn(status=status, error={"message": message, "type": "server_error",
                                      "param": None, "code": code})


class FakeOpenAi:
    def __init__(self, model: str = "gpt-5.5") -> None:
        self.model = model
        self.shell_tool = ("exec_command", "cmd")
        """The Responses API function a command is called as, and its argument (Codex's;
        opencode's is ``("bash", "command")``)."""
        self.answer_side_calls = False
        """Answer a call that offers no tools (an agent's side question, such as a title
        for its session) with a short text, outside the script."""
        self.turns: list[Turn] = []
        self.requests: list[dict[str, Any]] = []
        self.served: list[dict[str, int]] = []
        """Per reply sent: input (with cached), cached and output tokens."""
        self.valid_keys = {VALID_OPENAI_KEY}
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._ids = iter(range(1, 1_000_000))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *turns: Turn) -> None:
        with self._lock:
            self.turns.extend(turns)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def served_total(self, key: str) -> int:
        return sum(usage[key] for usage in self.served)

    def tool_outputs(self) -> list[str]:
        """What the agent sent back of each command it ran (Responses API)."""
        found = []
        for request in self.requests:
            for item in request["body"].get("input") or []:
                if isinstance(item, dict) and item.get("type") == "function_call_output":
                    output = item.get("output")
                    found.append(output if isinstance(output, str) else json.dumps(output))
        return found

    def _next(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Turn:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            key = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if key not in self.valid_keys:
                return Turn(status=401, error={"message": "Incorrect API key provided",
                                               "type": "invalid_request_error",
                                               "param": None, "code": "invalid_api_key"})
            if self.answer_side_calls and not body.get("tools"):
                return say("Side answer", input_tokens=40, output_tokens=4)
            return self.turns.pop(0) if self.turns else say("(script exhausted)")

    def _item(self, turn: Turn) -> dict[str, Any]:
        number = next(self._ids)
        if turn.command is not None:
            name, argument = self.shell_tool
            return {"type": "function_call", "id": f"fc_{number}", "call_id": f"call_{number}",
                    "name": name, "arguments": json.dumps({argument: turn.command}),
                    "status": "completed"}
        return {"type": "message", "id": f"msg_{number}", "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": turn.text, "annotations": []}]}

    def _response(self, turn: Turn, item: dict[str, Any] | None) -> dict[str, Any]:
        return {"id": f"resp_{next(self._ids)}", "object": "response", "created_at": 1,
                "model": self.model, "status": "completed" if item else "in_progress",
                "output": [item] if item else [], "usage": turn.usage() if item else None}

    def _chat(self, turn: Turn) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if turn.command is not None:
            number = next(self._ids)
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{number}", "type": "function",
                 "function": {"name": "bash", "arguments": json.dumps(
                     {"command": turn.command})}}]}
        return {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion",
                "created": 1, "model": self.model,
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "tool_calls" if turn.command else "stop"}],
                "usage": turn.chat_usage()}

    def _record_served(self, turn: Turn) -> None:
        with self._lock:
            self.served.append({"input_tokens": turn.input_tokens,
                                "cached_tokens": turn.cached_tokens,
                                "output_tokens": turn.output_tokens})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _events(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()

            def _send(self, data: dict[str, Any], named: bool = True) -> None:
                head = f"event: {data['type']}\n" if named else ""  # chat chunks: unnamed
                self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                key = headers.get("authorization", "").removeprefix("Bearer ").strip()
                if key not in fake.valid_keys:
                    self._json(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
                    return
                self._json(200, {"object": "list", "data": [
                    {"id": fake.model, "object": "model", "owned_by": "openai"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                turn = fake._next(self.path, headers, body)
                if turn.error is not None:
                    self._json(turn.status, {"error": turn.error})
                    return
                if self.path.startswith("/v1/chat/completions"):
                    self._chat(turn, body)
                else:
                    self._responses(turn, body)

            def _responses(self, turn: Turn, body: dict[str, Any]) -> None:
                item = fake._item(turn)
                if not body.get("stream"):
                    fake._record_served(turn)
                    self._json(200, fake._response(turn, item))
                    return
                self._events()
                opened = fake._response(turn, None)
                self._send({"type": "response.created", "sequence_number": 0,
                            "response": opened})
                if turn.hang:
                    fake.released.wait(timeout=120)
                    return
                self._send({"type": "response.output_item.added", "output_index": 0,
                            "item": item})
                if item["type"] == "message":
                    self._send({"type": "response.output_text.delta", "output_index": 0,
                                "content_index": 0, "item_id": item["id"],
                                "delta": turn.text})
                self._send({"type": "response.output_item.done", "output_index": 0,
                            "item": item})
                self._send({"type": "response.completed",
                            "response": {**fake._response(turn, item), "id": opened["id"]}})
                fake._record_served(turn)

            def _chat(self, turn: Turn, body: dict[str, Any]) -> None:
                whole = fake._chat(turn)
                if not body.get("stream"):
                    fake._record_served(turn)
                    self._json(200, whole)
                    return
                self._events()
                base = {"id": whole["id"], "object": "chat.completion.chunk", "created": 1,
                        "model": fake.model}
                message = whole["choices"][0]["message"]
                delta = {"role": "assistant", "content": message["content"]}
                if "tool_calls" in message:
                    delta["tool_calls"] = [{**message["tool_calls"][0], "index": 0}]
                asked = (body.get("stream_options") or {}).get("include_usage")
                usage_field = {"usage": None} if asked else {}
                if turn.hang:
                    self._send({**base, "choices": [{"index": 0, "delta": {
                        "role": "assistant", "content": ""}, "finish_reason": None}]},
                        named=False)
                    fake.released.wait(timeout=120)
                    return
                self._send({**base, **usage_field, "choices": [
                    {"index": 0, "delta": delta, "finish_reason": None}]}, named=False)
                self._send({**base, **usage_field, "choices": [
                    {"index": 0, "delta": {},
                     "finish_reason": whole["choices"][0]["finish_reason"]}]}, named=False)
                if asked:
                    self._send({**base, "choices": [],
                                "usage": whole["usage"]}, named=False)
                self.wfile.write(b"data: [DONE]\n\n")
                fake._record_served(turn)

        return Handler


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAi]:
    server = FakeOpenAi()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def openai_api(fake_openai: FakeOpenAi, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAi:
    """The scripted API with the harness pointed at it: its key in OPENAI_API_KEY, its URL
    in OPENAI_BASE_URL, and no user config file."""
    monkeypatch.setenv("OPENAI_API_KEY", VALID_OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url)
    monkeypatch.setenv("GAOBENCH_CONFIG", "/nonexistent")
    return fake_openai

