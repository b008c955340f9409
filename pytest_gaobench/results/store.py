"""The results database: one row per finished or interrupted run, for lists and comparisons.

SQLite at ``.gaobench/results.db`` by default (WAL, so ``pytest -n`` workers can write
at once), or any SQLAlchemy URL (``--gaobench-db``). The row holds the headline
metrics as columns, for queries, and the whole result.json, so nothing is lost. The
schema carries a version in ``gaobench_meta``; ``migrate`` brings older databases up.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..model.registry import METRICS
from .store_schema import METRIC_COLUMNS, SCHEMA_VERSION

if TYPE_CHECKING:
    from ..model.result import BenchmarkResult


CREATE_ATTEMPTS = 5


metadata = sa.MetaData()
runs = sa.Table(
    "gaobench_runs", metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("benchmark", sa.String(200), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("failure_kind", sa.String(20)),
    sa.Column("agent", sa.String(100)),
    sa.Column("model", sa.String(200)),
    sa.Column("start_time", sa.String(40), index=True),
    sa.Column("batch", sa.String(200), index=True),
    *(sa.Column(metric.name, sa.Integer if metric.integer else sa.Float)
      for metric in METRICS if metric.stored),
    sa.Column("result_json", sa.Text, nullable=False),
)
meta = sa.Table("gaobench_meta", metadata,
                sa.Column("key", sa.String(50), primary_key=True),
                sa.Column("value", sa.String(200), nullable=False))


class StoreError(RuntimeError):
    """The database cannot be opened or written (the run's result.json is still on disk)."""


class ResultStore:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = sa.create_engine(url, future=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database {safe_url(url)}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            database = self.engine.url.database
            if database:
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the folder of {database}: "
                                     f"{exc.strerror}") from None
        self.migrate()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"database {safe_url(self.url)}: {exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0]}") from None

    def migrate(self) -> None:
        """Create the tables, or bring an older schema to SCHEMA_VERSION.

        Several processes (xdist workers) may create a new database at once: whoever
        loses the race to create a table or the version row simply tries again.
        """
        for attempt in range(CREATE_ATTEMPTS):
            try:
                self._migrate_once()
                return
            except StoreError:
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _migrate_once(self) -> None:
        with self._connection() as connection:
            metadata.create_all(connection, checkfirst=True)
            found = connection.execute(sa.select(meta.c.value).where(
                meta.c.key == "schema_version")).scalar()
            if found is None:
                connection.execute(meta.insert().values(key="schema_version",
                                                        value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise StoreError(f"database {safe_url(self.url)} has schema {found}, newer "
                                 f"than this pytest-gaobench understands ({SCHEMA_VERSION})")
            elif int(found) < SCHEMA_VERSION:
                _add_missing_columns(connection)
                connection.execute(meta.update().where(meta.c.key == "schema_version")
                                   .values(value=str(SCHEMA_VERSION)))

    def save(self, result: BenchmarkResult) -> None:
        row = _row(result)
        with self._connection() as connection:
            connection.execute(runs.delete().where(runs.c.run_id == result.run_id))
            connection.execute(runs.insert().values(**row))

    def list(self, benchmark: str | None = None, limit: int = 50, batch: str | None = None
             ) -> list[dict[str, Any]]:
        """The newest runs' rows (without result_json), newest first."""
        query = sa.select(*[c for c in runs.c if c.name != "result_json"]).order_by(
            runs.c.start_time.desc(), runs.c.run_id.desc()).limit(limit)
        if benchmark:
            query = query.where(runs.c.benchmark == benchmark)
        if batch:
            query = query.where(runs.c.batch == batch)
        with self._connection() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def results(self, *, batch: str | None = None, limit: int | None = None,
                benchmarks: Collection[str] | None = None) -> builtins.list[BenchmarkResult]:
        """Whole results, newest first: of one batch, or of every run; only those of
        ``benchmarks`` when given. Only the rows asked for are read."""
        query = sa.select(runs.c.run_id, runs.c.result_json).order_by(
            runs.c.start_time.desc(), runs.c.run_id.desc())
        if batch is not None:
            query = query.where(runs.c.batch == batch)
        if benchmarks is not None:
            query = query.where(runs.c.benchmark.in_(list(benchmarks)))
        if limit is not None:
            query = query.limit(limit)
        with self._connection() as connection:
            return [_result_from_json(run_id, text)
                    for run_id, text in connection.execute(query)]

    def batch_before(self, batch: str) -> str | None:
        """The newest other batch whose runs started before this batch's first run."""
        with self._connection() as connection:
            start = connection.execute(sa.select(sa.func.min(runs.c.start_time)).where(
                runs.c.batch == batch)).scalar()
            if start is None:
                return None
            return connection.execute(
                sa.select(runs.c.batch).where(runs.c.batch.is_not(None), runs.c.batch != batch,
                                              runs.c.start_time < start)
                .order_by(runs.c.start_time.desc()).limit(1)).scalar()

    def run_ids(self) -> set[str]:
        with self._connection() as connection:
            return set(connection.execute(sa.select(runs.c.run_id)).scalars())

    def get(self, run_id: str) -> BenchmarkResult | None:
        with self._connection() as connection:
            text = connection.execute(sa.select(runs.c.result_json).where(
                runs.c.run_id == run_id)).scalar()
        return None if text is None else _result_from_json(run_id, text)

    def latest_before(self, benchmark: str, before: str) -> BenchmarkResult | None:
        """The newest run of ``benchmark`` that started before ``before`` (ISO time)."""
        query = (sa.select(runs.c.run_id, runs.c.result_json)
                 .where(runs.c.benchmark == benchmark, runs.c.start_time < before)
                 .order_by(runs.c.start_time.desc()).limit(1))
        with self._connection() as connection:
            found = connection.execute(query).first()
        return None if found is None else _result_from_json(found[0], found[1])

    def close(self) -> None:
        self.engine.dispose()


def _row(result: BenchmarkResult) -> dict[str, Any]:
    flat = result.metrics.flat()
    return {"run_id": result.run_id, "benchmark": result.benchmark.name,
            "status": result.status.value,
            "failure_kind": result.failure_kind.value if result.failure_kind else None,
            "agent": result.agent, "model": result.model,
            "start_time": result.start_time.isoformat() if result.start_time else None,
            "batch": result.metadata.batch,
            **{name: flat.get(name) for name in METRIC_COLUMNS},
            "result_json": json.dumps(json.loads(result.to_json()))}


ADDED_COLUMNS = ("batch", "model", *METRIC_COLUMNS)
"""Columns a newer schema added: an older database gains them, filled from result_json."""


def _add_missing_columns(connection: Connection) -> None:
    """Schema 1, 2 or 3 -> 4: the columns an older database lacks, filled from result_json."""
    present = {column["name"] for column in sa.inspect(connection).get_columns(runs.name)}
    missing = [runs.c[name] for name in ADDED_COLUMNS if name not in present]
    if not missing:
        return
    for column in missing:
        kind = column.type.compile(dialect=connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE {runs.name} ADD COLUMN {column.name} {kind}"))
    rows = connection.execute(sa.select(runs.c.run_id, runs.c.result_json)).all()
    for run_id, text in rows:
        row = _row(_result_from_json(run_id, text))
        connection.execute(runs.update().where(runs.c.run_id == run_id).values(
            **{column.name: row[column.name] for column in missing}))


def _result_from_json(run_id: str, text: str) -> BenchmarkResult:
    """Whole results need pydantic, imported here: listing rows does not. A row that
    cannot be read is named, not a traceback."""
    from pydantic import ValidationError

    from ..model.result import BenchmarkResult

    try:
        return BenchmarkResult.from_json(text)
    except (ValueError, ValidationError) as exc:
        raise StoreError(f"the stored result of run {run_id} cannot be read "
                         f"({type(exc).__name__})") from None


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: the WAL switch itself may wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparsable URL)"
