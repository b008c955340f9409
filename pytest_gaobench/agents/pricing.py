"""Token prices, shipped as data (data/prices.json), and the cost of one API call."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The model of API agents when neither the benchmark nor the command line names one."""


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
        """Exact id first, then the longest listed prefix; None when the model is unknown.
        Bedrock and Vertex ids are looked up as the Anthropic model they name."""
        for name in dict.fromkeys((model, anthropic_model_id(model))):
            if name in self.prices:
                return self.prices[name]
            matches = [known for known in self.prices if name.startswith(known + "-")]
            if matches:
                return self.prices[max(matches, key=len)]
        return None


class PriceFileError(ValueError):
    """A price file that cannot be read or has the wrong shape."""


_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|jp|au|ca|global|us-gov)\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")


def anthropic_model_id(model: str) -> str:
    """The Anthropic API id behind a Bedrock or Vertex id:
    ``us.anthropic.claude-sonnet-4-5-20250929-v1:0`` and ``claude-sonnet-4-5@20250929``
    both name ``claude-sonnet-4-5-20250929``."""
    name = model.rsplit("/", 1)[-1]  # Vertex resource paths end in the model id
    name = _BEDROCK_REGION.sub("", name).removeprefix("anthropic.")
    return _BEDROCK_VERSION.sub("", name).replace("@", "-")
