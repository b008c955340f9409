"""Token prices, shipped as data (data/prices.json), and the cost of one API call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, *, tokens_input: int, tokens_output: int, tokens_cache_write: int,
             tokens_cache_read: int) -> float:
        return (tokens_input * self.input + tokens_output * self.output
                + tokens_cache_write * self.cache_write
                + tokens_cache_read * self.cache_read) / 1_000_000


class PriceTable:
    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = prices

    @classmethod
    def shipped(cls) -> PriceTable:
        text = resources.files("pytest_gaobench").joinpath("data/prices.json").read_text()
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str) -> PriceTable:
        models = json.loads(text)["models"]
        return cls({name: Price(**values) for name, values in models.items()})

    def lookup(self, model: str) -> Price | None:
        """Exact id first, then the longest listed prefix; None when the model is unknown."""
        if model in self.prices:
            return self.prices[model]
        matches = [name for name in self.prices if model.startswith(name + "-")]
        return self.prices[max(matches, key=len)] if matches else None
