"""What the metering proxy must know of each provider's API to meter it and nothing more.

The proxy is one program for every provider: it checks the run token, forwards only the
calls it meters, reserves each call's worst case against the budget, counts what the
replies say they used, and classifies failures. A ``Dialect`` is the provider-shaped
part of that: which paths are calls (and which are free), where the token and the key
go, how a request states its output limit, how a reply and each streamed event state the
usage, and how an error is written back so the agent's own client understands it.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import unquote

from ..api_usage import ApiUsage
from ..call_bound import CallBound


class CallKind(StrEnum):
    MESSAGE = "message"
    """A model call: reserved, metered, priced."""
    COUNT_TOKENS = "count_tokens"
    """The provider's free count of a request's input."""
    MODELS = "models"
    """The list of models (or one model's description): free."""


@dataclass(frozen=True)
class Route:
    """A call the proxy forwards: its kind, the normalised path it goes to, and the model
    where the path names it (Gemini's)."""

    kind: CallKind
    path: str
    model: str | None = None


@dataclass(frozen=True)
class Reading:
    """What one streamed event, or a whole reply, says of its call."""

    usage: ApiUsage | None = None
    """The call's usage so far (a running total), when the event states it."""
    starts_call: bool = False
    model: str | None = None
    error_type: str | None = None
    """A failure told inside a stream whose HTTP status was 200."""
    ends_call: bool = False
    """The event states the call's final usage (a whole reply always does)."""


class Dialect(Protocol):
    name: str
    metered_calls: str
    """The calls forwarded, for the message of a refused path."""

    def route(self, method: str, path: str) -> Route | None:
        """The call at this normalised path, or None: not forwarded (not metered)."""

    def presented_token(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        """The credential the agent sent (headers' names are lower-case)."""

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry the real key upstream."""

    def forwarded_query(self, query: Mapping[str, str]) -> dict[str, str]:
        """The query sent upstream: never a credential the agent put there."""

    def bound(self, route: Route, body: dict[str, Any], size: int) -> CallBound:
        """The call's worst case, from its request."""

    def refusal(self, route: Route, body: dict[str, Any], allowed: frozenset[str]
                ) -> str | None:
        """Why a model call is not sent as it is: an output limit (or a number of replies)
        that is not a positive integer, a limit the API requires left out, or a field or
        hosted tool that makes the provider spend or reach out on its own. ``allowed``:
        the hosted tools the benchmark allows (``api_tools``), each only when bounded."""

    def forwarded_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The agent's headers that go upstream: those that change neither the price nor
        the reach of a call (names lower-case); never a credential."""

    def rewrite(self, route: Route, body: dict[str, Any]) -> dict[str, Any] | None:
        """A body to send instead, when the request as sent could not be metered."""

    def count_request(self, route: Route, body: dict[str, Any]
                      ) -> tuple[str, dict[str, Any]] | None:
        """Path and body of the provider's free input count for this call, if it has one."""

    def counted_tokens(self, answer: dict[str, Any]) -> int | None:
        """The input tokens that count answered."""

    def wants(self, line: bytes, started: bool) -> bool:
        """Whether a streamed ``data:`` line can hold usage, the call's start or an error
        (the rest, each text delta, is passed on unparsed)."""

    def read_event(self, event: dict[str, Any]) -> Reading: ...

    def read_whole(self, reply: Any) -> Reading: ...

    def error_body(self, status: int, kind: str, message: str) -> bytes:
        """An error as the provider writes it (``kind``: an Anthropic error type)."""

    def error_type(self, payload: Any) -> str | None:
        """The error type of an error reply, in ``api_failures`` terms."""

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request's set-up for the transcript: model, output limit, system, tools."""


COMMON_HEADERS = frozenset({"content-type", "accept", "user-agent"})
"""Headers every provider's requests may carry upstream."""


def allowed_headers(headers: Mapping[str, str], names: frozenset[str],
                    prefixes: tuple[str, ...] = ("x-stainless-",)) -> dict[str, str]:
    """``headers`` (lower-case names) among ``names`` and the common ones, or starting with
    one of ``prefixes`` (an SDK's own description of itself)."""
    return {name: value for name, value in headers.items()
            if name in COMMON_HEADERS or name in names or name.startswith(prefixes)}


def typed_tools(tools: Any) -> list[str]:
    """The ``type`` of each tool of a request that has one."""
    return [str(tool["type"]) for tool in tools if isinstance(tool, dict)
            and isinstance(tool.get("type"), str)] if isinstance(tools, list) else []


def normalise(raw_path: str) -> str:
    """The path as the API would read it: percent-decoded, dots and slashes resolved."""
    return posixpath.normpath("/" + unquote(raw_path).lstrip("/"))


def json_object(raw: bytes) -> dict[str, Any]:
    value = json_value(raw)
    return value if isinstance(value, dict) else {}


def json_value(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return None


def text_or_none(value: Any) -> str | None:
    return str(value) if value else None


def bearer(headers: Mapping[str, str]) -> str:
    return headers.get("authorization", "").removeprefix("Bearer ").strip()


def dialect_named(name: str) -> Dialect:
    """The dialect of a provider: ``anthropic``, ``openai`` or ``gemini``."""
    if name == "openai":
        from .openai import OpenAiDialect

        return OpenAiDialect()
    if name == "gemini":
        from .gemini import GeminiDialect

        return GeminiDialect()
    from .anthropic import AnthropicDialect

    return AnthropicDialect()
