"""The Anthropic Messages API: ``/v1/messages`` (streamed or whole) and its free kin.

A stream's ``message_start`` opens the call with its input usage; each ``message_delta``
carries running totals; an ``error`` event is the streaming form of an error status.
Input that the body's size cannot bound is counted by ``/v1/messages/count_tokens``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..api_usage import ApiUsage
from ..call_bound import (
    CallBound,
    count_problem,
    input_bound,
    objects,
    positive,
    searches,
    unmetered,
)
from . import CallKind, Reading, Route, allowed_headers, bearer, text_or_none, typed_tools

COUNTED_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking",
                  "mcp_servers")
"""What ``count_tokens`` accepts of a message request."""
UNBOUNDED_BLOCKS = frozenset({"image", "document", "container_upload"})
_EVENTS = (b'"message_start"', b'"message_delta"', b'"error"')
UNMETERED_FIELDS = ("mcp_servers", "container")
"""Fields that make the API reach MCP servers or run a container on its own."""
CLIENT_TOOLS = ("custom", "bash_", "text_editor_", "computer_", "memory_")
"""Tool types the agent's own client runs; any other type is a server tool."""
HEADERS = frozenset({"anthropic-version", "x-app", "anthropic-dangerous-direct-browser-access"})
"""Passed on besides the common ones, the SDK's ``x-stainless-*`` and Claude Code's own
``x-claude-code-*`` (its session id)."""
BETAS = ("claude-code-", "interleaved-thinking-", "fine-grained-tool-streaming-",
         "token-efficient-tools-", "prompt-caching-", "extended-cache-ttl-", "output-128k-",
         "context-management-", "effort-", "structured-outputs-")
"""``anthropic-beta`` values passed on: they change neither the price of a call nor what
the API reaches (long context, files, MCP, code execution and web fetch are dropped)."""


class AnthropicDialect:
    name = "anthropic"
    metered_calls = ("POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models")

    def route(self, method: str, path: str) -> Route | None:
        if method == "POST" and path == "/v1/messages":
            return Route(CallKind.MESSAGE, path)
        if method == "POST" and path == "/v1/messages/count_tokens":
            return Route(CallKind.COUNT_TOKENS, path)
        if method == "GET" and (path == "/v1/models" or path.startswith("/v1/models/")):
            return Route(CallKind.MODELS, path)
        return None

    def presented_token(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        return headers.get("x-api-key") or bearer(headers)

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key}

    def forwarded_query(self, query: Mapping[str, str]) -> dict[str, str]:
        return dict(query)

    def bound(self, route: Route, body: dict[str, Any], size: int) -> CallBound:
        return CallBound(model=str(body.get("model") or ""),
                         max_tokens=positive(body.get("max_tokens")),
                         input_tokens=input_bound(size, body.get("messages"), UNBOUNDED_BLOCKS),
                         cached=any("cache_control" in item for item in objects(body)),
                         web_searches=searches(body.get("tools")))

    def refusal(self, route: Route, body: dict[str, Any], allowed: frozenset[str]
                ) -> str | None:
        if "max_tokens" not in body:
            return "max_tokens is required"
        problem = count_problem("max_tokens", body["max_tokens"])
        if problem is not None:
            return problem
        for field in UNMETERED_FIELDS:
            if field in body:
                return unmetered(f"the field {field!r}")
        given = body.get("tools")
        tools: list[Any] = given if isinstance(given, list) else []
        for kind in typed_tools(tools):
            if kind.startswith(CLIENT_TOOLS):
                continue
            bounded = kind.startswith("web_search") and "web_search" in allowed and all(
                positive(tool.get("max_uses")) for tool in tools
                if isinstance(tool, dict) and str(tool.get("type")).startswith("web_search"))
            if not bounded:
                return unmetered(f"the server tool {kind!r}") + (
                    " (web_search is allowed with `api_tools: [web_search]` and max_uses)"
                    if kind.startswith("web_search") else "")
        return None

    def forwarded_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        sent = allowed_headers(headers, HEADERS, ("x-stainless-", "x-claude-code-"))
        betas = [value.strip() for value in headers.get("anthropic-beta", "").split(",")
                 if value.strip().startswith(BETAS)]
        if betas:
            sent["anthropic-beta"] = ",".join(betas)
        return sent

    def rewrite(self, route: Route, body: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def count_request(self, route: Route, body: dict[str, Any]
                      ) -> tuple[str, dict[str, Any]] | None:
        return "/v1/messages/count_tokens", {name: body[name] for name in COUNTED_FIELDS
                                             if name in body}

    def counted_tokens(self, answer: dict[str, Any]) -> int | None:
        return positive(answer.get("input_tokens")) if "input_tokens" in answer else None

    def wants(self, line: bytes, started: bool) -> bool:
        return any(kind in line for kind in _EVENTS)

    def read_event(self, event: dict[str, Any]) -> Reading:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message")
            message = message if isinstance(message, dict) else {}
            return Reading(usage=ApiUsage.from_anthropic(message.get("usage")),
                           starts_call=True, model=text_or_none(message.get("model")))
        if kind == "message_delta":  # one, with the final totals, before message_stop
            return Reading(usage=ApiUsage.from_anthropic(event.get("usage")), ends_call=True)
        if kind == "error":
            return Reading(error_type=self.error_type(event) or "error")
        return Reading()

    def read_whole(self, reply: Any) -> Reading:
        reply = reply if isinstance(reply, dict) else {}
        return Reading(usage=ApiUsage.from_anthropic(reply.get("usage")), starts_call=True,
                       model=text_or_none(reply.get("model")), ends_call=True)

    def error_body(self, status: int, kind: str, message: str) -> bytes:
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}
                          ).encode()

    def error_type(self, payload: Any) -> str | None:
        error = payload.get("error") if isinstance(payload, dict) else None
        return str(error.get("type")) if isinstance(error, dict) and error.get("type") \
            else None

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"model": body.get("model"), "max_tokens": body.get("max_tokens"),
                "system": body.get("system"),
                "tools": [t.get("name") for t in body.get("tools") or []
                          if isinstance(t, dict)]}

