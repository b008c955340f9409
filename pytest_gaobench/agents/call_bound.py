"""A message call's worst case, read from its request before it is forwarded.

The metering proxy reserves this against the budget, so calls in flight at once cannot
overdraw it. Output is bounded by the request's ``max_tokens``. Input is bounded first by
the body's size (a text token stands for at least one byte of the JSON that carries it);
where that bound does not fit the budget, or does not hold at all (images and documents
cost tokens by their pixels and pages, not their bytes), the proxy asks the API's free
``count_tokens`` for the exact number. Input is priced at the dearest rate it can be
billed at: a request that marks a cache point may write all of it to the cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from .pricing import Price

INPUT_MARGIN = 2_000
"""Tokens the API adds to a body-size bound (the tool-use system prompt, formatting)."""
UNLIMITED_SEARCHES = 10
"""Web searches reserved for a web search tool without ``max_uses``."""
COUNTED_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking",
                  "mcp_servers")
"""What ``count_tokens`` accepts of a message request."""
_BLOCKS_NOT_BOUNDED_BY_BYTES = frozenset({"image", "document", "container_upload"})


@dataclass(frozen=True)
class CallBound:
    """What one message call can be billed for, at most."""

    model: str
    max_tokens: int
    input_tokens: int | None
    """None when the body's size does not bound it (images, documents): count first."""
    counted: bool = False
    """``input_tokens`` is the API's own count, not a bound from the body's size."""
    cached: bool = False
    web_searches: int = 0

    @classmethod
    def of_request(cls, body: dict[str, Any], size: int) -> CallBound:
        bounded = not any(block.get("type") in _BLOCKS_NOT_BOUNDED_BY_BYTES
                          for block in _objects(body.get("messages")))
        return cls(model=str(body.get("model") or ""),
                   max_tokens=_positive(body.get("max_tokens")),
                   input_tokens=size + INPUT_MARGIN if bounded else None,
                   cached=any("cache_control" in item for item in _objects(body)),
                   web_searches=_searches(body.get("tools")))

    def with_count(self, input_tokens: int) -> CallBound:
        return replace(self, input_tokens=input_tokens, counted=True)

    @property
    def tokens(self) -> int | None:
        return None if self.input_tokens is None else self.input_tokens + self.max_tokens

    def cost(self, price: Price) -> float | None:
        if self.input_tokens is None:
            return None
        input_rate = max(price.input, price.cache_write, price.one_hour_write) \
            if self.cached else price.input
        return (self.input_tokens * input_rate + self.max_tokens * price.output) / 1_000_000 \
            + self.web_searches * price.web_search / 1_000


def count_tokens_request(body: dict[str, Any]) -> dict[str, Any]:
    """The part of a message request that ``count_tokens`` counts (it refuses the rest)."""
    return {name: body[name] for name in COUNTED_FIELDS if name in body}


def _positive(value: Any) -> int:
    """``value`` where it is a positive integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object within ``value``, however deeply nested."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _searches(tools: Any) -> int:
    searches = 0
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and str(tool.get("type", "")).startswith("web_search"):
            searches += _positive(tool.get("max_uses")) or UNLIMITED_SEARCHES
    return searches
