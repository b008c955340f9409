"""The session's results database, opened on first use; a database problem costs a
warning, never a run (its result.json is on disk already). SQLAlchemy is imported then
too: a collect-only session never pays for it."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .warning import GaobenchWarning

if TYPE_CHECKING:
    from ..model.result import BenchmarkResult
    from ..results.store import ResultStore


class SessionDatabase:
    def __init__(self, url: str | None) -> None:
        self.url = url
        """None: the database is turned off (--gaobench-db none)."""
        self._store: ResultStore | None = None

    def store(self) -> ResultStore:
        """The open store; raises StoreError when it cannot be opened."""
        from ..results.store import ResultStore, StoreError

        if self.url is None:
            raise StoreError("the results database is turned off (--gaobench-db none)")
        if self._store is None:
            self._store = ResultStore(self.url)
        return self._store

    def save(self, result: BenchmarkResult) -> None:
        if self.url is None:
            return
        from ..results.store import StoreError

        try:
            self.store().save(result)
        except StoreError as exc:
            warnings.warn(GaobenchWarning(f"result {result.run_id} was not stored in the "
                                          f"database ({exc}); its result.json is on disk"),
                          stacklevel=2)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
