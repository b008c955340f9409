"""gao-dev prune (old workspaces and checkpoints) and gao-dev init (a new benchmark)."""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path
from typing import Any

from .results import gaobench_dir

EXIT_REFUSED = 4


def add_commands(commands: Any) -> None:
    prune = commands.add_parser("prune", help="remove old runs' workspaces and checkpoints "
                                              "(never their results)")
    which = prune.add_mutually_exclusive_group(required=True)
    which.add_argument("--keep", type=int, metavar="N", help="keep the N newest runs' files")
    which.add_argument("--older-than", type=float, metavar="DAYS",
                       help="prune runs older than DAYS days")
    prune.add_argument("--dir", help="the gaobench folder (default: the nearest .gaobench "
                                     "here or above)")
    init = commands.add_parser("init", help="write a new benchmark: YAML, boilerplate, oracle")
    init.add_argument("name", help="the benchmark's name (letters, digits, - and _)")
    init.add_argument("--dir", default="benchmarks", help="where (default: benchmarks/)")


def run_prune(options: argparse.Namespace) -> int:
    from ..run.prune import prune_runs

    runs = gaobench_dir(options.dir) / "runs"
    done = prune_runs(runs, keep=options.keep, older_than_days=options.older_than)
    print(f"pruned {len(done.runs)} runs in {runs}: {done.bytes_freed / 1e6:.1f} MB freed "
          f"(results, logs and transcripts kept)")
    return 0


def run_init(options: argparse.Namespace) -> int:
    name = options.name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        print(f"gao-dev: {name!r} is not a benchmark name (letters, digits, - and _)")
        return EXIT_REFUSED
    root = Path(options.dir)
    module = name.replace("-", "_").lower()
    files = {
        root / f"bench_{module}.yaml": _SPEC.format(name=name, module=module),
        root / "boilerplates" / name / f"{module}.py": _STUB,
        root / "boilerplates" / name / "tests" / f"test_{module}.py":
            _TEST.format(module=module),
        root / "oracles" / name / "files" / f"{module}.py": _SOLUTION,
        root / "grading" / name / f"test_{module}_hidden.py": _HIDDEN.format(module=module),
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        print(f"gao-dev: not overwriting {', '.join(existing)}")
        return EXIT_REFUSED
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        print(f"wrote {path}")
    print(f"check it with: gao-dev check {root / f'bench_{module}.yaml'}")
    return 0


_SPEC = """
    # A benchmark: what the agent must build, where it starts, and how it is graded.
    # Every key is described in docs/benchmarks.md.
    name: {name}
    description: Implement add() in {module}.py so that its tests pass.
    version: "1.0"
    tags: [example]
    boilerplate_path: boilerplates/{name}
    oracle: oracles/{name}
    timeout_seconds: 600
    initial_prompt: |
      The project in this folder has a function add(a, b) in {module}.py that is not
      written yet. Implement it; tests/test_{module}.py says what it must do.
    workflow_phases:
      - phase_name: implementation
        agent: developer
        prompt: Implement add and run the tests.
        expected_artifacts: ["{module}.py"]
    success_criteria:
      # Graded by tests the agent never sees, run out of process: the solution runs in a
      # sandbox of its own and only values cross (the `solution` fixture), so nothing the
      # agent's code does inside the grader can change the verdict.
      grading_tests: grading/{name}
      grading_mode: out_of_process
"""
_STUB = """
    def add(a, b):
        raise NotImplementedError
"""
_SOLUTION = """
    def add(a, b):
        return a + b
"""
_HIDDEN = """
    def test_add(solution):
        add = solution("{module}").add
        assert add(2, 3) == 5
        assert add(-2, -3) == -5
"""
_TEST = """
    from {module} import add


    def test_add():
        assert add(2, 3) == 5
"""
