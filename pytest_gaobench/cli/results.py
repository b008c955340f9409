"""gao-dev results list | show | compare | durations | merge | gate, and gao-dev schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..results.db_url import database_url

if TYPE_CHECKING:
    from ..model.result import BenchmarkResult
    from ..results.compare import Comparison
    from ..results.store import ResultStore

EXIT_NOT_FOUND = 8
"""No such run, no database, or a database that cannot be read (2 means interrupted)."""


def add_commands(commands: Any) -> None:
    results = commands.add_parser("results", help="list, show and compare stored runs")
    results.add_argument("--db", help="SQLAlchemy URL or SQLite file (default: "
                                      ".gaobench/results.db)")
    results.add_argument("--dir", help="the gaobench folder (default: the nearest .gaobench "
                                       "in this folder or above, as git finds .git)")
    actions = results.add_subparsers(dest="results_command", required=True)
    listing = actions.add_parser("list", help="the latest runs")
    listing.add_argument("--benchmark")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--batch", help="only the runs of this batch (all shards)")
    durations = actions.add_parser(
        "durations", help="print the .test_durations JSON pytest-split reads: the median time "
                          "of each benchmark item's recent completed runs")
    durations.add_argument("--last", type=int, default=20,
                           help="runs per item the median is taken over (default 20)")
    merge = actions.add_parser("merge", help="merge results databases (one per shard) into "
                                             "one, by run id; merging twice adds nothing")
    merge.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="SQLite files or SQLAlchemy URLs")
    merge.add_argument("--into", help="the target (default: --db, else .gaobench/results.db)")
    gate = actions.add_parser("gate", help="compare a batch with an earlier batch; exit 1 when "
                                           "a benchmark regressed")
    gate.add_argument("--batch", required=True)
    gate.add_argument("--against", help="the baseline batch (default: the newest earlier one)")
    gate.add_argument("--threshold", type=float, default=10.0,
                      help="percent by which a metric may get worse (default 10)")
    show = actions.add_parser("show", help="one run's result")
    show.add_argument("run_id")
    both = actions.add_parser("compare", help="run B against run A, metric by metric")
    both.add_argument("run_a")
    both.add_argument("run_b")
    both.add_argument("--threshold", type=float, default=10.0,
                      help="percent by which a metric may get worse (default 10)")
    for parser in (listing, show, both, gate):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    schema = commands.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("which", choices=("result", "spec"), nargs="?", default="result")


def gaobench_dir(given: str | None) -> Path:
    """--dir, else the nearest ``.gaobench`` in the working folder or above it (so a
    command run in a subfolder reads the project's results and creates no stray folder),
    else ``./.gaobench``."""
    if given:
        return Path(given).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".gaobench").is_dir():
            return folder / ".gaobench"
    return here / ".gaobench"


def run(options: argparse.Namespace) -> int:
    """Each command imports what it needs only: a quick `gao-dev results list`."""
    if options.command == "results" and options.results_command in ("list", "show", "compare"):
        quick = _quick_read(options)
        if quick is not None:
            return quick
    from ..results.store import ResultStore, StoreError

    if options.command == "schema":
        from ..model.result import BenchmarkResult
        from ..model.spec import BenchmarkConfig

        model = BenchmarkResult if options.which == "result" else BenchmarkConfig
        print(json.dumps(model.model_json_schema(), indent=2))
        return 0
    target = getattr(options, "into", None) or options.db
    url = database_url(target, gaobench_dir(options.dir))
    if url is None:
        print("gao-dev: the results database is turned off (--db none): nothing to read")
        return EXIT_NOT_FOUND
    if missing_sqlite_file(url) and options.results_command != "merge":
        print(f"gao-dev: no results database at {url.removeprefix('sqlite:///')} (run "
              f"benchmarks first, or pass --db / --dir)")
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


def missing_sqlite_file(url: str) -> bool:
    """A read of an SQLite file that is not there: say so rather than create it."""
    return url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()


def _dispatch(store: ResultStore, options: argparse.Namespace) -> int:
    command = options.results_command
    if command == "durations":
        from ..results.durations import median_durations

        print(json.dumps(median_durations(store.results(), options.last), indent=2))
        return 0
    if command == "merge":
        return _merge(store, options)
    if command == "gate":
        return _gate(store, options)
    if options.results_command == "list":
        _print_rows(store.list(options.benchmark, options.limit, batch=options.batch),
                    as_json=options.json)
        return 0
    return _show_or_compare({run_id: store.get(run_id) for run_id in _wanted(options)},
                            store.url, options)


def _wanted(options: argparse.Namespace) -> list[str]:
    return ([options.run_id] if options.results_command == "show"
            else [options.run_a, options.run_b])


def _show_or_compare(found: dict[str, BenchmarkResult | None], url: str,
                     options: argparse.Namespace) -> int:
    missing = [run_id for run_id, result in found.items() if result is None]
    if missing:
        print(f"gao-dev: no run {', '.join(missing)} in {url}")
        return EXIT_NOT_FOUND
    from ..results.compare import compare

    results = [r for r in found.values() if r is not None]
    if options.results_command == "show":
        print(results[0].to_json() if options.json else results[0].summary())
        return 0
    return _print_comparison(compare(results[0], results[1], options.threshold), options)


def _print_comparison(comparison: Comparison, options: argparse.Namespace) -> int:
    print(json.dumps(comparison.to_dict(), indent=2) if options.json
          else "\n".join(comparison.table()))
    return 1 if comparison.regressed else 0


def _print_rows(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    from ..model.registry import TOKEN_METRICS
    from ..results.formatting import MISSING, format_metric, format_value, table_lines

    if not rows:
        print("no runs")
        return
    table = [("run id", "benchmark", "agent", "model", "status", "failure", "time", "tokens",
              "cost")]
    for row in rows:
        tokens = [row[name] for name in TOKEN_METRICS if row.get(name) is not None]
        table.append((row["run_id"], row["benchmark"], row.get("agent") or MISSING,
                      row.get("model") or MISSING, row["status"].upper(),
                      row.get("failure_kind") or MISSING,
                      format_metric("duration_seconds", row["duration_seconds"]),
                      format_value(sum(tokens) if tokens else None, "tokens"),
                      format_metric("cost_usd", row["cost_usd"])))
    print("\n".join(table_lines(table, rule=True)))


def _quick_read(options: argparse.Namespace) -> int | None:
    """list, show and compare straight from an SQLite file (no SQLAlchemy import); None
    when that cannot serve and ResultStore must."""
    from ..results.quick_list import quick_list, quick_results_json, quick_rows

    url = database_url(options.db, gaobench_dir(options.dir))
    if url is None:
        return None
    if options.results_command == "list":
        rows = quick_list(url, options.benchmark, options.limit, options.batch)
        if rows is None:
            return None
        _print_rows(rows, as_json=options.json)
        return 0
    if options.results_command == "compare":
        found = quick_rows(url, _wanted(options))
        if found is None:
            return None
        missing = [run_id for run_id, row in found.items() if row is None]
        if missing:
            print(f"gao-dev: no run {', '.join(missing)} in {url}")
            return EXIT_NOT_FOUND
        from ..results.compare import compare_rows

        a, b = (row for row in found.values() if row is not None)
        return _print_comparison(compare_rows(a, b, options.threshold), options)
    texts = quick_results_json(url, _wanted(options))
    if texts is None:
        return None
    from ..model.result import BenchmarkResult

    return _show_or_compare({run_id: None if text is None else BenchmarkResult.from_json(text)
                             for run_id, text in texts.items()}, url, options)


def _merge(store: ResultStore, options: argparse.Namespace) -> int:
    from ..results.merge import merge_into
    from ..results.store import StoreError

    folder = gaobench_dir(options.dir)
    for source in options.sources:
        url = database_url(source, folder)
        if url is None or url == store.url:
            print(f"gao-dev: cannot merge {source} into itself")
            return EXIT_NOT_FOUND
        try:
            counted = merge_into(store, url)
        except StoreError as exc:
            print(f"gao-dev: {exc}")
            return EXIT_NOT_FOUND
        print(f"{counted.source}: {counted.added} added, {counted.already_there} already there")
    return 0


def _gate(store: ResultStore, options: argparse.Namespace) -> int:
    from ..results.baseline import compare_batches

    against = options.against or store.batch_before(options.batch)
    if against is None:
        print(f"gao-dev: no batch before {options.batch} to compare with")
        return 0
    comparisons, notes = compare_batches(store, options.batch, against, options.threshold)
    regressed = [c for c in comparisons if c.regressed]
    if options.json:
        print(json.dumps({"batch": options.batch, "against": against,
                          "comparisons": [c.to_dict() for c in comparisons],
                          "notes": notes}, indent=2))
    else:
        print(f"batch {options.batch} against {against}: {len(regressed)} regressed of "
              f"{len(comparisons)}")
        for comparison in regressed:
            print("\n".join(comparison.table()))
        for note in notes:
            print(note)
    return 1 if regressed else 0
