"""gao-dev results list | show RUN_ID | compare A B, and gao-dev schema: read the database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..model.result import BenchmarkResult
from ..model.spec import BenchmarkConfig
from ..results.compare import compare
from ..results.db_url import database_url
from ..results.store import ResultStore, StoreError

EXIT_NOT_FOUND = 2


def add_commands(commands: Any) -> None:
    results = commands.add_parser("results", help="list, show and compare stored runs")
    results.add_argument("--db", help="SQLAlchemy URL or SQLite file (default: "
                                      ".gaobench/results.db)")
    results.add_argument("--dir", default=".gaobench", help="the gaobench folder")
    actions = results.add_subparsers(dest="results_command", required=True)
    listing = actions.add_parser("list", help="the latest runs")
    listing.add_argument("--benchmark")
    listing.add_argument("--limit", type=int, default=50)
    show = actions.add_parser("show", help="one run's result")
    show.add_argument("run_id")
    both = actions.add_parser("compare", help="run B against run A, metric by metric")
    both.add_argument("run_a")
    both.add_argument("run_b")
    both.add_argument("--threshold", type=float, default=10.0,
                      help="percent by which a metric may get worse (default 10)")
    for parser in (listing, show, both):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    schema = commands.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("which", choices=("result", "spec"), nargs="?", default="result")


def run(options: argparse.Namespace) -> int:
    if options.command == "schema":
        model = BenchmarkResult if options.which == "result" else BenchmarkConfig
        print(json.dumps(model.model_json_schema(), indent=2))
        return 0
    url = database_url(options.db, Path(options.dir).resolve())
    if url is None:
        print("gao-dev: the results database is turned off (--db none): nothing to read")
        return EXIT_NOT_FOUND
    try:
        store = ResultStore(url)
    except StoreError as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOT_FOUND
    try:
        return _dispatch(store, options)
    finally:
        store.close()


def _dispatch(store: ResultStore, options: argparse.Namespace) -> int:
    if options.results_command == "list":
        rows = store.list(options.benchmark, options.limit)
        if options.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                cost = f"${row['cost_usd']:.4f}" if row["cost_usd"] is not None else "-"
                took = (f"{row['duration_seconds']:.1f}s"
                        if row["duration_seconds"] is not None else "-")
                print(f"{row['run_id']}  {row['benchmark']}  {row['status']}  {took}  {cost}")
        return 0
    wanted = ([options.run_id] if options.results_command == "show"
              else [options.run_a, options.run_b])
    found = {run_id: store.get(run_id) for run_id in wanted}
    missing = [run_id for run_id, result in found.items() if result is None]
    if missing:
        print(f"gao-dev: no run {', '.join(missing)} in {store.url}")
        return EXIT_NOT_FOUND
    results = [r for r in found.values() if r is not None]
    if options.results_command == "show":
        print(results[0].to_json() if options.json else results[0].summary())
        return 0
    comparison = compare(results[0], results[1], options.threshold)
    print(json.dumps(comparison.to_dict(), indent=2) if options.json
          else "\n".join(comparison.table()))
    return 1 if comparison.regressed else 0
