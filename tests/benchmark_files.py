"""Benchmark projects written in tmp dirs for the plugin's own tests, and readers of results."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PASSING_TEST = """\
from calc import add


def test_add():
    assert add(2, 3) == 5
"""
SOLUTION = "def add(a, b):\n    return a + b\n"


@dataclass
class BenchmarkWriter:
    """Writes benchmark YAML files with a tiny boilerplate and oracle into ``root``."""

    root: Path

    def write(self, name: str = "calc", *, file_name: str | None = None,
              oracle_files: dict[str, str] | None = None, oracle_script: str | None = None,
              phases: list[dict[str, Any]] | None = None,
              phase_oracles: dict[str, dict[str, str]] | None = None,
              phase_scripts: dict[str, str] | None = None, **overrides: Any) -> Path:
        """A benchmark that passes with the oracle unless the arguments say otherwise."""
        folder = self.root
        boilerplate = folder / "boilerplates" / name
        boilerplate.mkdir(parents=True, exist_ok=True)
        (boilerplate / "calc.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
        (boilerplate / "tests").mkdir(exist_ok=True)
        (boilerplate / "tests" / "test_calc.py").write_text(PASSING_TEST)
        oracle = folder / "oracles" / name
        oracle.mkdir(parents=True, exist_ok=True)
        if phase_oracles is not None:
            for phase_name, files in phase_oracles.items():
                for relative, text in files.items():
                    target = oracle / phase_name / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text)
        else:
            files = {"calc.py": SOLUTION} if oracle_files is None else oracle_files
            for relative, text in files.items():
                target = oracle / "files" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            if oracle_script is not None:
                (oracle / "solve.sh").write_text(textwrap.dedent(oracle_script))
        for phase_name, script in (phase_scripts or {}).items():
            (oracle / f"{phase_name}.sh").write_text(textwrap.dedent(script))
        spec: dict[str, Any] = {
            "name": name,
            "description": f"{name} test benchmark",
            "boilerplate_path": f"boilerplates/{name}",
            "timeout_seconds": 120,
            "workflow_phases": phases or [{"phase_name": "implementation",
                                           "prompt": "implement add"}],
            "success_criteria": {"tests_must_pass": True},
            "oracle": f"oracles/{name}",
        }
        spec.update(overrides)
        path = folder / (file_name or f"bench_{name.replace('-', '_')}.yaml")
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

    def write_raw(self, file_name: str, text: str) -> Path:
        path = self.root / file_name
        path.write_text(textwrap.dedent(text))
        return path


def run_results(root: Path) -> list[dict[str, Any]]:
    """Every result.json under ``root/.gaobench``, oldest first."""
    paths = sorted((root / ".gaobench" / "runs").glob("*/result.json"))
    return [json.loads(p.read_text()) for p in paths]


def result_named(root: Path, name: str) -> dict[str, Any]:
    matches = [r for r in run_results(root) if r["benchmark"]["name"] == name]
    assert len(matches) == 1, f"expected one result for {name}, found {len(matches)}"
    return matches[0]


def page_blocks(root: Path, result: dict[str, Any], block_type: str) -> list[dict[str, Any]]:
    """The content blocks of ``block_type`` that the report's page shows for a run:
    tool_use and text from the agent's responses, tool_result from the requests that
    carried the tools' output back."""
    from pytest_gaobench.results.report_data import transcript_entries

    run_dir = root / ".gaobench" / "runs" / result["run_id"]
    found = []
    for entry in transcript_entries(run_dir):
        blocks = entry["content"] if entry["kind"] == "response" else \
            entry["message"]["content"] if entry["kind"] == "request" else []
        found += [block for block in blocks if block["type"] == block_type]
    return found


def gao_dev(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The gao-dev command, run for real in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "pytest_gaobench.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


def ctrl_c_works() -> None:
    """A ``preexec_fn`` for a pytest child the test will send SIGINT: a process started in
    the background by a shell without job control inherits SIGINT ignored, and Python then
    keeps ignoring it, so Ctrl-C would never arrive however the harness handles it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def needs_cli(program: str, label: str, install: str) -> pytest.MarkDecorator:
    """The mark for tests of a real agent CLI: skipped where it is not installed, saying
    how to install it; in CI, which installs it (.ci/run), its absence fails the module."""
    missing = shutil.which(program) is None
    if missing and os.environ.get("CI"):
        pytest.fail(f"{label} is not installed: CI must install it ({install}; see .ci/run)",
                    pytrace=False)
    return pytest.mark.skipif(missing, reason=f"{label} not installed: {install}")
