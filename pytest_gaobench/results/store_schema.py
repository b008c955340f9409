"""The results database's schema version and columns, without importing SQLAlchemy."""

from __future__ import annotations

from ..model.registry import METRICS

SCHEMA_VERSION = 4
"""1: the first columns; 2: a column for every stored metric of the registry; 3: batch;
4: model."""

METRIC_COLUMNS = tuple(metric.name for metric in METRICS if metric.stored)
RUN_COLUMNS = ("run_id", "benchmark", "status", "failure_kind", "agent", "model", "start_time",
               "batch")
LIST_COLUMNS = (*RUN_COLUMNS, *METRIC_COLUMNS)
"""What `results list` shows of a row: everything but the stored result.json."""
