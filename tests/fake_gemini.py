"""A local HTTP server that speaks enough of the Gemini API for Gemini CLI and the tests.

``GET /v1beta/models`` checks the key (``x-goog-api-key`` or ``?key=``).
``:generateContent`` and ``:streamGenerateContent?alt=sse`` answer the agent's turns from
the script, in order: a shell command (a ``functionCall`` of Gemini CLI's
``run_shell_command``) or a final text. A call that offers no tools is one of the CLI's
own side questions (is the conversation looping, who speaks next): it is answered from
its request, as the real model would, without using the script. A streamed reply comes
in two chunks whose ``usageMetadata`` grows, as Gemini's does (the last one is the
call's); cached input is inside ``promptTokenCount`` and thinking beside the candidates,
as the real API counts them. Every request is recorded, and the usage of every reply sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

VALID_GEMINI_KEY = "AIzaTest-" + "g" * 30


@dataclass
class Turn:
    command: str | None = None
    """A shell command to run; None: a final text."""
    text: str = "Done."
    input_tokens: int = 100
    cached_tokens: int = 0
    output_tokens: int = 20
    thinking_tokens: int = 0
    hang: bool = False
    """Streamed: send the first chunk, then hang until the server stops."""

    def usage(self, *, final: bool = True) -> dict[str, Any]:
        output = self.output_tokens if final else min(self.output_tokens, 1)
        usage = {"promptTokenCount": self.input_tokens, "candidatesTokenCount": output,
                 "totalTokenCount": self.input_tokens + output + self.thinking_tokens}
        if self.cached_tokens:
            usage["cachedContentTokenCount"] = self.cached_tokens
        if self.thinking_tokens:
            usage["thoughtsTokenCount"] = self.thinking_tokens
        return usage

    def part(self) -> dict[str, Any]:
        if self.command is not None:
            return {"functionCall": {"name": "run_shell_command",
                                     "args": {"command": self.command}}}
        return {"text": self.text}


def run(command: str, **usage: Any) -> Turn:
    return Turn(command=command, **usage)


def say(text: str = "Done.", **usage: Any) -> Turn:
    return Turn(text=text, **usage)


def side_answer(body: dict[str, Any]) -> Turn:
    """The answer to one of the CLI's side questions: the JSON it asks for (the user
    speaks next; no loop), else a short text."""
    config = body.get("generationConfig") or {}
    if config.get("responseMimeType") == "application/json" or config.get("responseSchema") \
            or config.get("responseJsonSchema"):
        return Turn(text=json.dumps({"next_speaker": "user", "is_stuck": False,
                                     "reasoning": "the model has finished its turn",
                                     "unproductive_state_confidence": 0.0}),
                    input_tokens=50, output_tokens=10)
    return Turn(text="ok", input_tokens=50, output_tokens=2)


class FakeGemini:
    def __init__(self, model: str = "gemini-2.5-pro") -> None:
        self.model = model
        self.turns: list[Turn] = []
        self.requests: list[dict[str, Any]] = []
        self.served: list[dict[str, int]] = []
        """Per reply sent: input (with cached), cached, output and thinking tokens."""
        self.valid_keys = {VALID_GEMINI_KEY}
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

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

    def agent_requests(self) -> list[dict[str, Any]]:
        """The requests of the agent's own turns (those that offered tools)."""
        return [r for r in self.requests if r["body"].get("tools")]

    def shell_outputs(self) -> list[str]:
        """What the agent sent back of each command it ran."""
        found = []
        for request in self.agent_requests():
            for content in request["body"].get("contents") or []:
                for part in content.get("parts") or []:
                    response = part.get("functionResponse") if isinstance(part, dict) else None
                    if response:
                        found.append(json.dumps(response.get("response")))
        return found

    def _key_of(self, path: str, headers: dict[str, str]) -> str:
        query = parse_qs(urlsplit(path).query)
        return headers.get("x-goog-api-key") or (query.get("key") or [""])[0]

    def _next(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Turn | None:
        """The turn to answer with; None: the key is refused."""
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            if self._key_of(path, headers) not in self.valid_keys:
                return None
            if not body.get("tools"):
                return side_answer(body)
            return self.turns.pop(0) if self.turns else say("(script exhausted)")

    def _chunk(self, turn: Turn, parts: list[dict[str, Any]], *, final: bool
               ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts},
                                     "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        return {"candidates": [candidate], "usageMetadata": turn.usage(final=final),
                "modelVersion": self.model}

    def _record_served(self, turn: Turn) -> None:
        with self._lock:
            self.served.append({"input_tokens": turn.input_tokens,
                                "cached_tokens": turn.cached_tokens,
                                "output_tokens": turn.output_tokens,
                                "thinking_tokens": turn.thinking_tokens})

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

            def _refuse(self) -> None:
                self._json(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                           "message": "API key not valid. Please pass a "
                                                      "valid API key."}})

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                if fake._key_of(self.path, headers) not in fake.valid_keys:
                    self._refuse()
                    return
                self._json(200, {"models": [{"name": f"models/{fake.model}"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                turn = fake._next(self.path, headers, body)
                if turn is None:
                    self._refuse()
                    return
                if ":countTokens" in self.path:
                    self._json(200, {"totalTokens": turn.input_tokens})
                    return
                if ":streamGenerateContent" not in self.path:
                    fake._record_served(turn)
                    self._json(200, fake._chunk(turn, [turn.part()], final=True))
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                part = turn.part()
                first, last = ([{"text": turn.text[:1]}], [{"text": turn.text[1:]}]) \
                    if "text" in part else ([part], [])
                self.wfile.write(self._event(fake._chunk(turn, first, final=False)))
                self.wfile.flush()
                if turn.hang:
                    fake.released.wait(timeout=120)
                    return
                self.wfile.write(self._event(fake._chunk(turn, last, final=True)))
                fake._record_served(turn)

            @staticmethod
            def _event(chunk: dict[str, Any]) -> bytes:
                return f"data: {json.dumps(chunk)}\r\n\r\n".encode()

        return Handler


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    server = FakeGemini()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gemini_api(fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> FakeGemini:
    """The scripted API with the harness pointed at it: its key in GEMINI_API_KEY, its URL
    in GEMINI_BASE_URL, and no user config file."""
    monkeypatch.setenv("GEMINI_API_KEY", VALID_GEMINI_KEY)
    monkeypatch.setenv("GEMINI_BASE_URL", fake_gemini.url)
    monkeypatch.setenv("GAOBENCH_CONFIG", "/nonexistent")
    return fake_gemini
