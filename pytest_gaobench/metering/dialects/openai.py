"""The OpenAI API: Responses (``/v1/responses``) and Chat Completions, streamed or whole.

Responses: a stream's ``response.created`` opens the call and ``response.completed`` (or
``.incomplete``, ``.failed``) states its usage, web searches included as output items;
Chat Completions: the first chunk opens the call and usage comes in the last one, which
the API sends only when asked (``stream_options.include_usage``), so the proxy asks for it
on every streamed call: the agent's client then sees one more chunk, with no choices.
Cached input is inside ``input_tokens`` / ``prompt_tokens``; reasoning inside the output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..api_usage import ApiUsage
from ..call_bound import (
    DEFAULT_MAX_OUTPUT,
    CallBound,
    count_problem,
    input_bound,
    positive,
    searches,
    unmetered,
)
from . import CallKind, Reading, Route, allowed_headers, bearer, text_or_none, typed_tools

RESPONSES = "/v1/responses"
CHAT = "/v1/chat/completions"
UNBOUNDED_BLOCKS = frozenset({"input_image", "input_file", "input_audio", "image_url",
                              "file"})
_CLOSING = frozenset({"response.completed", "response.incomplete", "response.failed"})
_EVENTS = (b'"response.created"', b'"response.completed"', b'"response.incomplete"',
           b'"response.failed"', b'"error"', b'"usage":{', b'"usage": {')
UNMETERED_FIELDS = ("previous_response_id", "conversation", "background", "prompt")
"""Fields that bill context the body does not show (a stored response, a conversation, a
stored prompt) or run the call after the proxy has stopped watching (background)."""
CLIENT_TOOLS = frozenset({"function", "custom", "local_shell"})
"""Tool types the agent runs itself (and any tool marked ``"execution": "client"``, such as
Codex's ``tool_search``); any other type is a hosted tool."""
HEADERS = frozenset({"openai-beta", "originator", "session_id", "conversation_id", "version"})
"""Passed on besides the common ones; never the organization or project a call is billed
to."""
_ERROR_STATUS = {401: "invalid_api_key", 403: "permission_denied",
                 404: "not_found", 413: "request_too_large", 429: "rate_limit_exceeded"}
_ERROR_KINDS = {"invalid_request_error": "invalid_request_error",
                "authentication_error": "invalid_api_key",
                "permission_error": "permission_denied", "api_error": "server_error",
                "request_too_large": "invalid_request_error"}


class OpenAiDialect:
    name = "openai"
    metered_calls = ("POST /v1/responses, POST /v1/chat/completions, "
                     "POST /v1/responses/input_tokens and GET /v1/models")

    def route(self, method: str, path: str) -> Route | None:
        if method == "POST" and path in (RESPONSES, CHAT):
            return Route(CallKind.MESSAGE, path)
        if method == "POST" and path == RESPONSES + "/input_tokens":
            return Route(CallKind.COUNT_TOKENS, path)
        if method == "GET" and (path == "/v1/models" or path.startswith("/v1/models/")):
            return Route(CallKind.MODELS, path)
        return None

    def presented_token(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        return bearer(headers) or headers.get("api-key", "")

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def forwarded_query(self, query: Mapping[str, str]) -> dict[str, str]:
        return dict(query)

    def bound(self, route: Route, body: dict[str, Any], size: int) -> CallBound:
        if route.path == RESPONSES:
            limit = positive(body.get("max_output_tokens"))
            given = body.get("input")
        else:
            limit = positive(body.get("max_completion_tokens")) or positive(
                body.get("max_tokens"))
            given = body.get("messages")
        return CallBound(model=str(body.get("model") or ""),
                         max_tokens=limit or DEFAULT_MAX_OUTPUT,
                         input_tokens=input_bound(size, given, UNBOUNDED_BLOCKS),
                         web_searches=searches(body.get("tools"))
                         + (1 if "web_search_options" in body else 0),
                         choices=positive(body.get("n")) or 1)

    def refusal(self, route: Route, body: dict[str, Any], allowed: frozenset[str]
                ) -> str | None:
        limits = ("max_output_tokens",) if route.path == RESPONSES else (
            "max_completion_tokens", "max_tokens", "n")
        for name in limits:
            if name in body and body[name] is not None:
                problem = count_problem(name, body[name])
                if problem is not None:
                    return problem
        for field in UNMETERED_FIELDS:
            if body.get(field) is not None:
                return unmetered(f"the field {field!r}")
        searching = "web_search" in allowed and positive(body.get("max_tool_calls"))
        if "web_search_options" in body and "web_search" not in allowed:
            return unmetered("the field 'web_search_options'")
        given = body.get("tools")
        tools: list[Any] = given if isinstance(given, list) else []
        run_here = {str(tool.get("type")) for tool in tools
                    if isinstance(tool, dict) and tool.get("execution") == "client"}
        for kind in typed_tools(tools):
            if kind in CLIENT_TOOLS or kind in run_here or (
                    kind.startswith("web_search") and searching):
                continue
            return unmetered(f"the hosted tool {kind!r}") + (
                " (web_search is allowed with `api_tools: [web_search]` and max_tool_calls)"
                if kind.startswith("web_search") else "")
        return None

    def forwarded_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return allowed_headers(headers, HEADERS)

    def rewrite(self, route: Route, body: dict[str, Any]) -> dict[str, Any] | None:
        """A streamed chat call is asked for its usage (else it would not be stated)."""
        if route.path != CHAT or body.get("stream") is not True:
            return None
        options = body.get("stream_options")
        options = dict(options) if isinstance(options, dict) else {}
        if options.get("include_usage") is True:
            return None
        return {**body, "stream_options": {**options, "include_usage": True}}

    def count_request(self, route: Route, body: dict[str, Any]
                      ) -> tuple[str, dict[str, Any]] | None:
        return None

    def counted_tokens(self, answer: dict[str, Any]) -> int | None:
        return None

    def wants(self, line: bytes, started: bool) -> bool:
        return not started or any(kind in line for kind in _EVENTS)

    def read_event(self, event: dict[str, Any]) -> Reading:
        kind = event.get("type")
        if isinstance(kind, str) and kind.startswith("response."):
            response = event.get("response")
            response = response if isinstance(response, dict) else {}
            if kind == "response.created":
                return Reading(starts_call=True, model=text_or_none(response.get("model")))
            if kind in _CLOSING:
                error = response.get("error") if kind == "response.failed" else None
                return Reading(usage=responses_usage(response), ends_call=True,
                               model=text_or_none(response.get("model")),
                               error_type=_code(error) or ("server_error" if kind ==
                                                           "response.failed" else None))
            return Reading()
        if kind == "error":  # the Responses stream's error event
            return Reading(error_type=_code(event) or "server_error")
        if "error" in event:  # a Chat Completions stream ending in an error
            return Reading(error_type=self.error_type(event) or "server_error")
        if event.get("object") == "chat.completion.chunk":
            usage = event.get("usage")  # only in the last chunk (include_usage)
            return Reading(starts_call=True, model=text_or_none(event.get("model")),
                           usage=ApiUsage.from_openai(usage) if isinstance(usage, dict)
                           else None, ends_call=isinstance(usage, dict))
        return Reading()

    def read_whole(self, reply: Any) -> Reading:
        reply = reply if isinstance(reply, dict) else {}
        usage = responses_usage(reply) if reply.get("object") == "response" \
            else ApiUsage.from_openai(reply.get("usage"))
        return Reading(usage=usage, starts_call=True, model=text_or_none(reply.get("model")),
                       ends_call=True)

    def error_body(self, status: int, kind: str, message: str) -> bytes:
        code = _ERROR_STATUS.get(status)
        return json.dumps({"error": {"message": message,
                                     "type": _ERROR_KINDS.get(kind, "invalid_request_error"),
                                     "param": None, "code": code}}).encode()

    def error_type(self, payload: Any) -> str | None:
        error = payload.get("error") if isinstance(payload, dict) else None
        return _code(error)

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        tools = [tool.get("name") or (tool.get("function") or {}).get("name")
                 or tool.get("type") for tool in body.get("tools") or []
                 if isinstance(tool, dict)]
        system = body.get("instructions")
        if system is None:
            system = [message.get("content") for message in
                      body.get("input") or body.get("messages") or []
                      if isinstance(message, dict)
                      and message.get("role") in ("system", "developer")]
        return {"model": body.get("model"),
                "max_tokens": body.get("max_output_tokens") or body.get(
                    "max_completion_tokens") or body.get("max_tokens"),
                "system": system, "tools": tools}


def responses_usage(response: dict[str, Any]) -> ApiUsage:
    """A response's usage, with the web searches among its output items."""
    output = response.get("output")
    calls = sum(1 for item in output if isinstance(item, dict)
                and item.get("type") == "web_search_call") if isinstance(output, list) else 0
    return ApiUsage.from_openai(response.get("usage"), web_searches=calls)


def _code(error: Any) -> str | None:
    """An OpenAI error's code, else its type."""
    if not isinstance(error, dict):
        return None
    return text_or_none(error.get("code")) or text_or_none(error.get("type"))
