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


def _all_results(store_class: Any, url: str) -> list[Any]:
    store = store_class(url)
    try:
        return list(store.results())
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
        everything = _all_results(ResultStore, url)
    except StoreError as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOT_FOUND
    wanted = set(options.benchmark or ())
    chosen = [r for r in everything if not wanted or r.benchmark.name in wanted]
    shown = chosen[:options.last]
    names = {r.benchmark.name for r in shown}
    output = Path(options.output)
    write_report(output, list(reversed(shown)), folder / "runs",
                 history=[r for r in chosen[options.last:] if r.benchmark.name in names],
                 title=f"gaobench: the last {len(shown)} runs")
    print(f"wrote {output} ({len(shown)} runs)")
    return 0
