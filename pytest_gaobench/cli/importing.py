"""gao-dev import exercism TRACK_DIR -o OUT_DIR: a published suite as benchmark folders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

EXIT_NOTHING_IMPORTED = 5


def add_command(commands: Any) -> None:
    importing = commands.add_parser("import", help="write benchmarks from a published suite")
    kinds = importing.add_subparsers(dest="import_kind", required=True)
    exercism = kinds.add_parser("exercism", help="an Exercism track's practice exercises, "
                                                 "one benchmark folder each")
    exercism.add_argument("track", metavar="TRACK_DIR",
                          help="the track's folder (a clone of github.com/exercism/<language>)")
    exercism.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                          help="where to write the benchmark folders")
    exercism.add_argument("--timeout", type=int, default=300,
                          help="each benchmark's timeout in seconds (default 300)")


def run(options: argparse.Namespace) -> int:
    from ..importers.exercism import ExerciseError, import_track

    try:
        done = import_track(Path(options.track), Path(options.output),
                            timeout_seconds=options.timeout)
    except ExerciseError as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOTHING_IMPORTED
    for slug, why in done.skipped.items():
        print(f"skipped {slug}: {why}")
    print(f"wrote {len(done.written)} benchmarks to {options.output}"
          + (f" ({len(done.skipped)} skipped)" if done.skipped else ""))
    print(f"check them: gao-dev check {options.output}")
    return 0 if done.written else EXIT_NOTHING_IMPORTED
