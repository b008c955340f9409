"""Token prices, shipped as data (metering/data/prices.json), and the cost of one API call."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .api_usage import ApiUsage

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The model of API agents when neither the benchmark nor the command line names one."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens (web searches: USD per thousand requests)."""

    input: float
    output: float
    cache_write: float
    """A 5-minute cache write."""
    cache_read: float
    cache_write_1h: float | None = None
    """A 1-hour cache write; by the API's rule, twice the input price when not listed."""
    web_search: float = 10.0
    """Server tool use: USD per 1,000 web search requests."""

    @property
    def one_hour_write(self) -> float:
        return self.input * 2 if self.cache_write_1h is None else self.cache_write_1h

    def cost(self, *, tokens_input: int, tokens_output: int, tokens_cache_write: int,
             tokens_cache_read: int, tokens_cache_write_1h: int = 0,
             web_searches: int = 0) -> float:
        return (tokens_input * self.input + tokens_output * self.output
                + tokens_cache_write * self.cache_write
                + tokens_cache_write_1h * self.one_hour_write
                + tokens_cache_read * self.cache_read) / 1_000_000 \
            + web_searches * self.web_search / 1_000

    def cost_of(self, usage: ApiUsage) -> float:
        return self.cost(tokens_input=usage.input, tokens_output=usage.output,
                         tokens_cache_write=usage.cache_write_5m,
                         tokens_cache_read=usage.cache_read,
                         tokens_cache_write_1h=usage.cache_write_1h,
                         web_searches=usage.web_searches)


class PriceTable:
    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = prices

    @classmethod
    def shipped(cls) -> PriceTable:
        text = resources.files(__package__ or "").joinpath("data/prices.json").read_text()
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str) -> PriceTable:
        models = json.loads(text)["models"]
        return cls({name: Price(**values) for name, values in models.items()})

    @classmethod
    def from_file(cls, path: Path) -> PriceTable:
        """A user's price file (``--gaobench-prices``), in the shipped file's format."""
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PriceFileError(f"cannot use the price file {path}: {exc}") from None

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with ``other``'s prices added or replacing ours."""
        return PriceTable({**self.prices, **other.prices})

    def lookup(self, model: str) -> Price | None:
        """The model's own price: its exact id, or a listed id followed by a date or a
        version of the same model (``gpt-5-2025-08-07``, ``gemini-2.5-pro-001``), never a
        sibling (``gpt-5-pro`` and ``gpt-5-nano`` are not ``gpt-5``); None when it is not
        listed. Bedrock and Vertex ids are looked up as the Anthropic model they name."""
        for name in dict.fromkeys((model, anthropic_model_id(model))):
            if name in self.prices:
                return self.prices[name]
            for known in sorted(self.prices, key=len, reverse=True):
                if name.startswith(known + "-") and _SAME_MODEL.match(name[len(known) + 1:]):
                    return self.prices[known]
        return None


class PriceFileError(ValueError):
    """A price file that cannot be read or has the wrong shape."""


_SAME_MODEL = re.compile(r"(\d{8}|\d{4}-\d{2}-\d{2}|\d{3}|v\d+(:\d+)?|latest"
                         r"|preview(-\d{2}-\d{2}(-\d{4})?)?|exp(-\d{4})?)")
"""What may follow a listed model id and still name that model: a date, a version, a
snapshot tag."""
_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|jp|au|ca|global|us-gov)\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")


def anthropic_model_id(model: str) -> str:
    """The Anthropic API id behind a Bedrock or Vertex id:
    ``us.anthropic.claude-sonnet-4-5-20250929-v1:0`` and ``claude-sonnet-4-5@20250929``
    both name ``claude-sonnet-4-5-20250929``."""
    name = model.rsplit("/", 1)[-1]  # Vertex resource paths end in the model id
    name = _BEDROCK_REGION.sub("", name).removeprefix("anthropic.")
    return _BEDROCK_VERSION.sub("", name).replace("@", "-")
