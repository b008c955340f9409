"""A model call's worst case, read from its request before it is forwarded.

The metering proxy reserves this against the budget, so calls in flight at once cannot
overdraw it. Output is bounded by the request's own limit (``max_tokens`` and its kin in
each provider's API; the largest any model writes when it states none). Input is bounded
first by the body's size (a text token stands for at least one byte of the JSON that
carries it); where that bound does not fit the budget, or does not hold at all (images and
documents cost tokens by their pixels and pages, not their bytes), the proxy asks the
provider's free input count for the exact number, where it has one. Input is priced at the
dearest rate it can be billed at: a request that marks a cache point may write all of it to
the cache. Each provider's dialect reads its requests into a ``CallBound``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from .pricing import Price

INPUT_MARGIN = 2_000
"""Tokens the API adds to a body-size bound (the tool-use system prompt, formatting)."""
UNLIMITED_SEARCHES = 10
"""Web searches reserved for a web search tool without ``max_uses``."""
DEFAULT_MAX_OUTPUT = 128_000
"""The output reserved for a call that states no limit of its own (as much as any listed
model writes in one reply)."""


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
    choices: int = 1
    """Replies the call asks for (OpenAI's ``n``, Gemini's ``candidateCount``): each may
    write ``max_tokens``."""

    def with_count(self, input_tokens: int) -> CallBound:
        return replace(self, input_tokens=input_tokens, counted=True)

    @property
    def tokens(self) -> int | None:
        return None if self.input_tokens is None else self.input_tokens + self.max_output

    @property
    def max_output(self) -> int:
        """The most output the call can be billed for: the limit times the choices."""
        return self.max_tokens * self.choices

    def cost(self, price: Price) -> float | None:
        if self.input_tokens is None:
            return None
        input_rate = max(price.input, price.cache_write, price.one_hour_write) \
            if self.cached else price.input
        return (self.input_tokens * input_rate + self.max_output * price.output) / 1_000_000 \
            + self.web_searches * price.web_search / 1_000


def positive(value: Any) -> int:
    """``value`` where it is a positive integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def count_problem(name: str, value: Any) -> str | None:
    """Why a count a request gives (an output limit, a number of replies) cannot be
    reserved: it is not a positive integer (``64000.0``, ``"64000"``, ``0``, ``true``)."""
    if positive(value):
        return None
    return (f"{name} must be a positive integer, not {json.dumps(value)}: the harness "
            f"reserves each call's worst case against the budget before it is sent")


def unmetered(what: str) -> str:
    """The reason a field or a hosted tool is refused."""
    return (f"{what} makes the provider spend or reach out on its own, which the harness "
            f"cannot meter; the request is not sent")


def objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object within ``value``, however deeply nested."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def searches(tools: Any) -> int:
    """Web searches a request's hosted search tools may run: their ``max_uses``, else
    UNLIMITED_SEARCHES each."""
    total = 0
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and str(tool.get("type", "")).startswith("web_search"):
            total += positive(tool.get("max_uses")) or UNLIMITED_SEARCHES
    return total


def input_bound(size: int, blocks: Any, unbounded_types: frozenset[str]) -> int | None:
    """The input a body of ``size`` bytes can hold, or None when a block among
    ``blocks`` is of a type billed by its pixels or pages rather than its bytes."""
    if any(block.get("type") in unbounded_types for block in objects(blocks)):
        return None
    return size + INPUT_MARGIN
