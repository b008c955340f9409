"""Merging results databases (one SQLite file per shard) into one, by run id.

Each source's rows are rebuilt from their stored result.json into the target's schema, so a
source of an older schema merges as it is; a newer one is refused. A run already in the
target is left alone: merging the same source twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..model.result import BenchmarkResult
from .store import ResultStore, StoreError, safe_url
from .store_schema import SCHEMA_VERSION


@dataclass(frozen=True)
class MergeCount:
    source: str
    added: int
    already_there: int


def merge_into(target: ResultStore, source_url: str) -> MergeCount:
    engine = sa.create_engine(source_url)
    try:
        with engine.connect() as connection:
            version = _schema_version(connection)
            if version > SCHEMA_VERSION:
                raise StoreError(f"{safe_url(source_url)} has schema {version}, newer than "
                                 f"this pytest-gaobench understands ({SCHEMA_VERSION}): "
                                 f"upgrade pytest-gaobench to merge it")
            rows = connection.execute(sa.text(
                "SELECT run_id, result_json FROM gaobench_runs")).all()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read {safe_url(source_url)}: "
                         f"{str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    present = target.run_ids()
    added = 0
    for run_id, text in rows:
        if run_id in present:
            continue
        target.save(BenchmarkResult.from_json(text))
        added += 1
    return MergeCount(safe_url(source_url), added, len(rows) - added)


def _schema_version(connection: sa.Connection) -> int:
    tables = sa.inspect(connection).get_table_names()
    if "gaobench_runs" not in tables:
        raise StoreError("it is not a pytest-gaobench results database (no gaobench_runs)")
    if "gaobench_meta" not in tables:
        return 1
    found = connection.execute(sa.text(
        "SELECT value FROM gaobench_meta WHERE key = 'schema_version'")).scalar()
    return int(found) if found is not None else 1
