"""The Gemini API: ``models/{model}:generateContent`` and ``:streamGenerateContent``.

The model is in the path. Every streamed chunk may carry ``usageMetadata`` (running
totals; the last is the call's); a stream without ``alt=sse`` is one JSON array, read
whole. The key travels in ``x-goog-api-key`` (or a ``key`` query parameter, which is
never forwarded). ``:countTokens`` is free and counts what a body's size cannot bound.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..api_usage import ApiUsage
from ..call_bound import (
    DEFAULT_MAX_OUTPUT,
    INPUT_MARGIN,
    CallBound,
    count_problem,
    positive,
    unmetered,
)
from . import CallKind, Reading, Route, allowed_headers, text_or_none

_CALL = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):"
                   r"(generateContent|streamGenerateContent|countTokens)$")
_MODELS = re.compile(r"^/(v1beta|v1|v1alpha)/models(/[^/:]+)?$")
_EVENTS = (b'"usageMetadata"', b'"error"', b'"finishReason"')
CLIENT_TOOLS = frozenset({"functionDeclarations", "function_declarations"})
"""Tool kinds the agent runs itself; any other (search, code execution, URL context, maps,
file search) is run by the API."""
COUNTED_FIELDS = ("contents", "systemInstruction", "tools", "toolConfig")
"""What a model call's input is made of, as ``countTokens`` counts it."""
HEADERS = frozenset({"x-goog-api-client"})
"""Passed on besides the common ones; never the project a call is billed to."""
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED",
           500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE"}


class GeminiDialect:
    name = "gemini"
    metered_calls = ("POST models/MODEL:generateContent, :streamGenerateContent and "
                     ":countTokens, and GET models")

    def route(self, method: str, path: str) -> Route | None:
        call = _CALL.match(path)
        if method == "POST" and call:
            kind = CallKind.COUNT_TOKENS if call.group(3) == "countTokens" \
                else CallKind.MESSAGE
            return Route(kind, path, model=call.group(2))
        if method == "GET" and _MODELS.match(path):
            return Route(CallKind.MODELS, path)
        return None

    def presented_token(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        return headers.get("x-goog-api-key") or query.get("key", "")

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    def forwarded_query(self, query: Mapping[str, str]) -> dict[str, str]:
        return {name: value for name, value in query.items() if name != "key"}

    def bound(self, route: Route, body: dict[str, Any], size: int) -> CallBound:
        config = body.get("generationConfig")
        limit = positive(config.get("maxOutputTokens")) if isinstance(config, dict) else 0
        contents = body.get("contents")
        choices = positive(config.get("candidateCount")) if isinstance(config, dict) else 0
        return CallBound(model=route.model or "",
                         max_tokens=limit or DEFAULT_MAX_OUTPUT,
                         input_tokens=None if _media(contents) else size + INPUT_MARGIN,
                         cached="cachedContent" in body, choices=choices or 1)

    def refusal(self, route: Route, body: dict[str, Any], allowed: frozenset[str]
                ) -> str | None:
        config = body.get("generationConfig")
        config = config if isinstance(config, dict) else {}
        for name in ("maxOutputTokens", "candidateCount"):
            if config.get(name) is not None:
                problem = count_problem(name, config[name])
                if problem is not None:
                    return problem
        if body.get("cachedContent") is not None:
            return unmetered("the field 'cachedContent' (stored context)")
        for tool in body.get("tools") or []:
            kinds = [kind for kind in tool if kind not in CLIENT_TOOLS] \
                if isinstance(tool, dict) else []
            if kinds:
                return unmetered(f"the tool {kinds[0]!r}")
        return None

    def forwarded_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return allowed_headers(headers, HEADERS)

    def rewrite(self, route: Route, body: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def count_request(self, route: Route, body: dict[str, Any]
                      ) -> tuple[str, dict[str, Any]] | None:
        model = route.path.rsplit(":", 1)[0].rsplit("/", 1)[-1]
        counted = {name: body[name] for name in COUNTED_FIELDS if name in body}
        return (route.path.rsplit(":", 1)[0] + ":countTokens",
                {"generateContentRequest": {"model": f"models/{model}",
                                            "contents": [], **counted}})

    def counted_tokens(self, answer: dict[str, Any]) -> int | None:
        return positive(answer.get("totalTokens")) if "totalTokens" in answer else None

    def wants(self, line: bytes, started: bool) -> bool:
        return not started or any(kind in line for kind in _EVENTS)

    def read_event(self, event: dict[str, Any]) -> Reading:
        if "error" in event:
            return Reading(error_type=self.error_type(event) or "INTERNAL")
        usage = event.get("usageMetadata")
        candidates = event.get("candidates")
        finished = isinstance(candidates, list) and any(
            isinstance(c, dict) and c.get("finishReason") for c in candidates)
        return Reading(starts_call=True, model=text_or_none(event.get("modelVersion")),
                       usage=ApiUsage.from_gemini(usage) if isinstance(usage, dict) else None,
                       ends_call=finished and isinstance(usage, dict))

    def read_whole(self, reply: Any) -> Reading:
        chunks = reply if isinstance(reply, list) else [reply]
        usage, model = ApiUsage(), None
        for chunk in chunks:
            if isinstance(chunk, dict):
                usage = usage.latest(ApiUsage.from_gemini(chunk.get("usageMetadata")))
                model = text_or_none(chunk.get("modelVersion")) or model
        return Reading(usage=usage, starts_call=True, model=model, ends_call=True)

    def error_body(self, status: int, kind: str, message: str) -> bytes:
        return json.dumps({"error": {"code": status, "message": message,
                                     "status": _STATUS.get(status, "INTERNAL")}}).encode()

    def error_type(self, payload: Any) -> str | None:
        if isinstance(payload, list) and payload:
            payload = payload[-1]
        error = payload.get("error") if isinstance(payload, dict) else None
        return text_or_none(error.get("status")) if isinstance(error, dict) else None

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        config = body.get("generationConfig")
        tools = [declaration.get("name") for tool in body.get("tools") or []
                 if isinstance(tool, dict)
                 for declaration in tool.get("functionDeclarations") or []
                 if isinstance(declaration, dict)]
        return {"max_tokens": config.get("maxOutputTokens") if isinstance(config, dict)
                else None, "system": body.get("systemInstruction"), "tools": tools}


def _media(contents: Any) -> bool:
    """Whether a part carries data billed by its pixels, pages or seconds."""
    pending = [contents]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if any(key in item for key in ("inlineData", "inline_data", "fileData",
                                           "file_data")):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
