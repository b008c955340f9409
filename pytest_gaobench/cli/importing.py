"""gao-dev import exercism|swe-bench SOURCE -o OUT_DIR: a published suite as benchmark
folders."""

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
    exercism.add_argument("--force", action="store_true",
                          help="replace benchmark folders that exist already")
    swe = kinds.add_parser("swe-bench", help="SWE-bench-style instances (JSON lines), one "
                                             "benchmark folder each")
    swe.add_argument("instances", metavar="FILE.jsonl",
                     help="one instance per line: instance_id, repo, base_commit, "
                          "problem_statement, test_patch, FAIL_TO_PASS, PASS_TO_PASS, patch")
    swe.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                     help="where to write the benchmark folders")
    swe.add_argument("--repo-url", default="https://github.com/{repo}.git", metavar="TEMPLATE",
                     help="where each repository is cloned from; {repo} is its owner/name "
                          "(default %(default)s; a local mirror: /srv/mirrors/{repo})")
    swe.add_argument("--setup", action="append", default=[], metavar="COMMAND",
                     help="a setup command every benchmark runs before the agent, in the "
                          "workspace (repeatable), e.g. 'pip install --target deps .'")
    swe.add_argument("--setup-network", action="store_true",
                     help="let the setup commands reach the network (to download packages)")
    swe.add_argument("--python-path", action="append", default=[], metavar="FOLDER",
                     help="a workspace folder the setup installs into, put on the tests' "
                          "sys.path (repeatable)")
    swe.add_argument("--specs", metavar="FILE",
                     help="a YAML file mapping owner/name@version (the record's version) or "
                          "owner/name to each benchmark's environment: {python, packages, "
                          "install, env}")
    swe.add_argument("--timeout", type=int, default=1800,
                     help="each benchmark's timeout in seconds (default 1800)")
    swe.add_argument("--force", action="store_true",
                     help="replace benchmark folders that exist already")
    _add_harbor(kinds)


def _add_harbor(kinds: Any) -> None:
    harbor = kinds.add_parser("harbor", help="Harbor (Terminal-Bench 2) tasks: task.toml, "
                                             "instruction.md, environment/, tests/, "
                                             "solution/; one benchmark folder each")
    harbor.add_argument("tasks", metavar="TASKS_DIR", help="a task folder, or a folder of them")
    harbor.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                        help="where to write the benchmark folders")
    harbor.add_argument("--force", action="store_true",
                        help="replace benchmark folders that exist already")


def run(options: argparse.Namespace) -> int:
    if options.import_kind == "swe-bench":
        return _swe_bench(options)
    if options.import_kind == "harbor":
        from ..importers.harbor import import_tasks

        done = import_tasks(Path(options.tasks), Path(options.output), force=options.force)
        return _summary(done.written, done.skipped, options.output)
    from ..importers.exercism import ExerciseError, import_track
    from ..importers.writing import ImportRefused

    try:
        done = import_track(Path(options.track), Path(options.output),
                            timeout_seconds=options.timeout, force=options.force)
    except (ExerciseError, ImportRefused) as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOTHING_IMPORTED
    except OSError as exc:
        print(f"gao-dev: {exc.filename or options.track}: {exc.strerror}")
        return EXIT_NOTHING_IMPORTED
    return _summary(done.written, done.skipped, options.output)


def _summary(written: list[Path], skipped: dict[str, str], output: str) -> int:
    for what, why in skipped.items():
        print(f"skipped {what}: {why}")
    print(f"wrote {len(written)} benchmarks to {output}"
          + (f" ({len(skipped)} skipped)" if skipped else ""))
    print(f"check them: gao-dev check {output}")
    return 0 if written else EXIT_NOTHING_IMPORTED


def _swe_bench(options: argparse.Namespace) -> int:
    from ..importers.swe_bench import (
        ImportOptions,
        InstanceError,
        import_instances,
        load_environments,
    )

    try:
        environments = load_environments(Path(options.specs)) if options.specs else {}
        settings = ImportOptions(repo_url=options.repo_url, setup=tuple(options.setup),
                                 setup_network=options.setup_network,
                                 python_path=tuple(options.python_path),
                                 timeout_seconds=options.timeout, force=options.force,
                                 environments=environments)
        done = import_instances(Path(options.instances), Path(options.output), settings)
    except InstanceError as exc:
        print(f"gao-dev: {exc}")
        return EXIT_NOTHING_IMPORTED
    except OSError as exc:
        print(f"gao-dev: {exc.filename or options.instances}: {exc.strerror}")
        return EXIT_NOTHING_IMPORTED
    return _summary(done.written, done.skipped, options.output)
