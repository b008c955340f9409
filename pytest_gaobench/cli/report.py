"""gao-dev report: the HTML report from the results database, across sessions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..results.db_url import database_url
from .results import EXIT_NOT_FOUND, gaobench_dir, missing_sqlite_file


def add_command(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="write the HTML report of the latest runs in the results database")
    report.add_argument("--db", help="SQLAlchemy URL or SQLite file (default: the "
                                     "results.db of the gaobench folder)")
    report.add_argument("--dir", help="the gaobench folder (default: the nearest .gaobench "
                                      "here or above)")
    report.add_argument("--last", type=int, default=100, help="the newest N runs (default 100)")
    report.add_argument("--benchmark", action="append",
                        help="only this benchmark (may be given more than once)")
    report.add_argument("-o", "--output", default="report.html",
                        help="the page to write (default report.html)")


TREND_POINTS = 30
"""Runs per benchmark the trend charts show (the page keeps the newest 30)."""


def _chosen_results(store_class: Any, url: str, last: int, wanted: set[str]
                    ) -> tuple[list[Any], list[Any]]:
    """The newest ``last`` runs (of the ``wanted`` benchmarks, if any), and the earlier runs
    of their benchmarks the trend charts need: only these rows are read."""
    store = store_class(url)
    try:
        shown = store.results(limit=last, benchmarks=wanted or None)
        names = sorted({r.benchmark.name for r in shown})
        history = [result for name in names
                   for result in store.results(limit=TREND_POINTS, benchmarks=[name])]
        return shown, history
    finally:
        store.close()


def run(options: argparse.Namespace) -> int:
    from ..results.html import write_report
    from ..results.store import ResultStore, StoreError

    folder = gaobench_dir(options.dir)
    url = database_url(options.db, folder)
    if url is None or missing_sqlite_file(url):
        print(f"gao-dev: no results database to report on ({url or '--db none'})")
        return EXIT_NOT_FOUND
    try:
        shown, history = _chosen_results(ResultStore, url, options.last,
                                         set(options.benchmark or ()))
    except StoreError as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOT_FOUND
    output = Path(options.output)
    shown_ids = {r.run_id for r in shown}
    write_report(output, list(reversed(shown)), folder / "runs",
                 history=[r for r in history if r.run_id not in shown_ids],
                 title=f"gaobench: the last {len(shown)} runs")
    print(f"wrote {output.resolve()} ({len(shown)} runs)")
    return 0
