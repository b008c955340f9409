"""`gao-dev results list|show|compare` on an SQLite file without SQLAlchemy: the standard
library's sqlite3 reads the same rows in a fraction of SQLAlchemy's import time. Used only
when the file exists and already has this schema; anything else goes through ResultStore."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from .store_schema import LIST_COLUMNS, SCHEMA_VERSION


def _query(url: str, query: str, values: list[Any]) -> list[tuple[Any, ...]] | None:
    """The query's rows from a current-schema SQLite file; None when this path cannot serve."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                timeout=30)) as connection:
            version = connection.execute(
                "SELECT value FROM gaobench_meta WHERE key = 'schema_version'").fetchone()
            if version is None or int(version[0]) != SCHEMA_VERSION:
                return None
            return connection.execute(query, values).fetchall()
    except (sqlite3.Error, ValueError):
        return None


def quick_results_json(url: str, run_ids: list[str]) -> dict[str, str | None] | None:
    """run id -> its stored result.json (None when absent); None when this path cannot serve."""
    marks = ", ".join("?" for _ in run_ids)
    rows = _query(url, f"SELECT run_id, result_json FROM gaobench_runs WHERE run_id IN "
                       f"({marks})", list(run_ids))
    if rows is None:
        return None
    found = dict(rows)
    return {run_id: found.get(run_id) for run_id in run_ids}


def quick_rows(url: str, run_ids: list[str]) -> dict[str, dict[str, Any] | None] | None:
    """run id -> its row's columns (None when absent); None when this path cannot serve."""
    marks = ", ".join("?" for _ in run_ids)
    rows = _query(url, f"SELECT {', '.join(LIST_COLUMNS)} FROM gaobench_runs WHERE run_id IN "
                       f"({marks})", list(run_ids))
    if rows is None:
        return None
    found = {row[0]: dict(zip(LIST_COLUMNS, row, strict=True)) for row in rows}
    return {run_id: found.get(run_id) for run_id in run_ids}


def quick_list(url: str, benchmark: str | None, limit: int, batch: str | None
               ) -> list[dict[str, Any]] | None:
    """The newest rows, as ResultStore.list gives them; None when this path cannot serve."""
    where, values = [], []
    for column, value in (("benchmark", benchmark), ("batch", batch)):
        if value:
            where.append(f"{column} = ?")
            values.append(value)
    query = (f"SELECT {', '.join(LIST_COLUMNS)} FROM gaobench_runs"
             + (f" WHERE {' AND '.join(where)}" if where else "")
             + " ORDER BY start_time DESC, run_id DESC LIMIT ?")
    rows = _query(url, query, [*values, limit])
    return None if rows is None else [dict(zip(LIST_COLUMNS, row, strict=True)) for row in rows]
