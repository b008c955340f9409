"""Row: a benchmark in its own Python environment, run on a cold cache (the shared part
built) against a warm one (reused), and on the warm cache the environment's own set-up
(interpreter found, shared part looked up, the run's layer made) against the run's install
step, which the target says it may cost no more than."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from pathlib import Path

import yaml
from timing import ROOT, report, side_by_side, timed

PACKAGE = {
    "setup.py": ("from setuptools import setup\nsetup(name='calc', version='1.0', "
                 "package_dir={'': 'src'}, packages=['calc'])\n"),
    "src/calc/__init__.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def environment(scratch: Path, repeat: int) -> None:
    wheels = ROOT / ".wheelhouse" / "3.9"
    env = dict(os.environ)
    if (wheels / ".complete").is_file():  # offline, as the tests are
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
    for relative, text in PACKAGE.items():
        (scratch / "boilerplate" / relative).parent.mkdir(parents=True, exist_ok=True)
        (scratch / "boilerplate" / relative).write_text(text)
    (scratch / "bench.yaml").write_text(yaml.safe_dump({
        "name": "env", "boilerplate_path": "boilerplate",
        "environment": {"python": "3.9", "packages": ["pytest==7.4.4", "coverage==7.6.1"],
                        "install": ["pip install --no-index --no-deps --no-build-isolation "
                                    "-e ."]},
        "workflow_phases": [{"phase_name": "develop"}],
        "success_criteria": {"tests_must_pass": True}}))
    run = [sys.executable, "-m", "pytest", "bench.yaml", "-q", "-p", "no:cacheprovider",
           "--gaobench-agent=nop"]
    cache = scratch / ".gaobench" / "cache" / "python"

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(run, scratch, env)

    warm_runs: list[Path] = []

    def warm() -> float:
        before = set((scratch / ".gaobench" / "runs").glob("*"))
        seconds = timed(run, scratch, env)
        warm_runs.extend(set((scratch / ".gaobench" / "runs").glob("*")) - before)
        return seconds

    cold_seconds, warm_seconds = side_by_side(cold, warm, repeat)
    report("a run in its environment: cold cache vs warm", cold_seconds, warm_seconds,
           "the build paid once")
    setup, install = [], []
    for folder in warm_runs:
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        setup += [e["seconds"] for e in events if e["event"] == "environment_ready"]
        install.append(sum(e["seconds"] for e in events if e["event"] == "environment_install"))
    report("warm: environment set-up vs the run's install step", statistics.median(setup),
           statistics.median(install), "<= 1.0x")
