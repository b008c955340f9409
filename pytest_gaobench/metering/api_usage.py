"""Each provider's usage names and our ``Usage`` fields: the one mapping every agent uses.

A reply's ``usage`` (and a stream's ``message_start`` / ``message_delta`` usage, whose
numbers are running totals) says ``input_tokens``, ``output_tokens``,
``cache_read_input_tokens``, ``cache_creation_input_tokens`` (with its split by cache
lifetime in ``cache_creation``: 5-minute and 1-hour writes are priced differently) and
``server_tool_use.web_search_requests`` (priced per request). The anthropic agent, the
metering proxy and the check of Claude Code's own report all read it here.

OpenAI (Responses and Chat Completions) and Gemini count cached input inside their input
total and reasoning inside their output total; here input is what was not read from the
cache, so the same field means the same thing for every provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

USAGE_NAMES = {"input_tokens": "tokens_input", "output_tokens": "tokens_output",
               "cache_read_input_tokens": "tokens_cache_read",
               "cache_creation_input_tokens": "tokens_cache_write"}
"""The API's names of our ``Usage`` token fields, as Anthropic's usage (and an agent's own
report of it, and a usage file) says them."""


def fields_named(names: Iterable[str]) -> list[str]:
    """Our ``Usage`` fields among ``names`` (the API's): what a report says."""
    return [USAGE_NAMES[name] for name in names if name in USAGE_NAMES]


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass(frozen=True)
class ApiUsage:
    """One call's usage (or a running total of it), in the API's own terms."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    web_searches: int = 0

    @classmethod
    def from_anthropic(cls, usage: Mapping[str, Any] | None) -> ApiUsage:
        usage = usage if isinstance(usage, Mapping) else {}
        written = _count(usage.get("cache_creation_input_tokens"))
        split = usage.get("cache_creation")
        one_hour = _count(split.get("ephemeral_1h_input_tokens")) \
            if isinstance(split, Mapping) else 0
        tools = usage.get("server_tool_use")
        searches = _count(tools.get("web_search_requests")) if isinstance(tools, Mapping) else 0
        return cls(input=_count(usage.get("input_tokens")),
                   output=_count(usage.get("output_tokens")),
                   cache_read=_count(usage.get("cache_read_input_tokens")),
                   cache_write_5m=max(written - one_hour, 0), cache_write_1h=one_hour,
                   web_searches=searches)

    @classmethod
    def from_openai(cls, usage: Mapping[str, Any] | None, *, web_searches: int = 0) -> ApiUsage:
        """A Responses API ``usage`` (``input_tokens``...) or a Chat Completions one
        (``prompt_tokens``...): both count cached tokens within the input (in their
        details, or as ``cached_input_tokens`` where a client reports them flat)."""
        usage = usage if isinstance(usage, Mapping) else {}
        details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details")
        cached = _count(details.get("cached_tokens")) if isinstance(details, Mapping) \
            else _count(usage.get("cached_input_tokens"))
        given = _count(usage.get("input_tokens")) or _count(usage.get("prompt_tokens"))
        output = _count(usage.get("output_tokens")) or _count(usage.get("completion_tokens"))
        return cls(input=max(given - cached, 0), output=output, cache_read=min(cached, given),
                   web_searches=web_searches)

    @classmethod
    def from_gemini(cls, usage: Mapping[str, Any] | None) -> ApiUsage:
        """A Gemini ``usageMetadata``: thinking is billed as output, a tool-use prompt as
        input, cached content within the prompt's count."""
        usage = usage if isinstance(usage, Mapping) else {}
        given = _count(usage.get("promptTokenCount")) + _count(
            usage.get("toolUsePromptTokenCount"))
        cached = min(_count(usage.get("cachedContentTokenCount")), given)
        return cls(input=given - cached, cache_read=cached,
                   output=_count(usage.get("candidatesTokenCount"))
                   + _count(usage.get("thoughtsTokenCount")))

    def growth_over(self, seen: ApiUsage) -> ApiUsage:
        """What a running total added since ``seen`` (a field that went down added 0)."""
        return ApiUsage(**{f.name: max(getattr(self, f.name) - getattr(seen, f.name), 0)
                           for f in fields(self)})

    def latest(self, other: ApiUsage) -> ApiUsage:
        """The larger of two running totals, field by field."""
        return ApiUsage(**{f.name: max(getattr(self, f.name), getattr(other, f.name))
                           for f in fields(self)})

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def tokens(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def usage_fields(self) -> dict[str, int]:
        """Our ``Usage`` token fields (``record_api_call`` / ``add_tokens`` keywords)."""
        return {"tokens_input": self.input, "tokens_output": self.output,
                "tokens_cache_read": self.cache_read, "tokens_cache_write": self.cache_write}

    def api_names(self) -> dict[str, int]:
        """The API's names, as an agent reports them (for comparing its own report)."""
        ours = self.usage_fields()
        return {name: ours[field] for name, field in USAGE_NAMES.items()}
