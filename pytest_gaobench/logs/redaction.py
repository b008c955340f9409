"""Secret redaction for everything the harness writes: logs, transcripts, results, errors.

Known secrets (the API key in use) are replaced wherever they occur; strings shaped like
Anthropic keys are replaced even when nobody registered them. What passes through is also
made writable (``text.writable_text``): the redactor sees every string the harness writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .text import writable_text

REDACTED = "[REDACTED]"
_KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def text(self, value: str) -> str:
        value = writable_text(value)
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return _KEY_SHAPE.sub(REDACTED, value)

    def value(self, value: Any) -> Any:
        """Redact strings anywhere inside dicts, lists and tuples."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value
