"""The store: values with an optional time to live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class KVStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[Any, float | None]] = {}

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = self._clock() + ttl if ttl is not None else None
        self._items[key] = (value, expires)

    def get(self, key: str, default: Any = None) -> Any:
        if not self._live(key):
            return default
        return self._items[key][0]

    def delete(self, key: str) -> bool:
        live = self._live(key)
        self._items.pop(key, None)
        return live

    def keys(self) -> list[str]:
        return sorted(key for key in list(self._items) if self._live(key))

    def __len__(self) -> int:
        return len(self.keys())

    def _live(self, key: str) -> bool:
        if key not in self._items:
            return False
        expires = self._items[key][1]
        if expires is not None and self._clock() >= expires:
            del self._items[key]
            return False
        return True
