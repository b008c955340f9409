"""The base of every part of a benchmark file: unknown keys are errors, values are not
coerced (a string is not a number), and parts are frozen once read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # Each field's docstring is its description in the JSON Schema (`gao-dev schema spec`).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=True)
