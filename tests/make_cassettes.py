"""Record the shipped replay cassette of benchmarks/bench_todo_cli.yaml.

The anthropic agent runs against the local scripted Messages API, whose script writes
the oracle's files with `write_file` calls and runs the tests, so the cassette is a
real recording of the agent's loop, tools and grading. Run from the repository root:

    python tests/make_cassettes.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fake_anthropic import VALID_KEY, FakeAnthropic, message, text, tool, tool_turn

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
CASSETTES = BENCH / "cassettes"


def todo_cli_script() -> list[object]:
    files = sorted((BENCH / "oracles" / "todo-cli" / "files").rglob("*.py"))
    oracle = BENCH / "oracles" / "todo-cli" / "files"
    writes = [tool("write_file", path=p.relative_to(oracle).as_posix(), content=p.read_text())
              for p in files]
    return [tool_turn(tool("list_files")),
            tool_turn(*writes),
            tool_turn(tool("run_command", command="python -m pytest -q")),
            message(text("The todo CLI and its tests are in place; the tests pass."))]


def main() -> int:
    server = FakeAnthropic()
    server.start()
    server.script(*todo_cli_script())  # type: ignore[arg-type]
    try:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "cassettes"
            env = {**os.environ, "ANTHROPIC_API_KEY": VALID_KEY,
                   "ANTHROPIC_BASE_URL": server.url, "GAOBENCH_CONFIG": "/nonexistent"}
            done = subprocess.run(
                [sys.executable, "-m", "pytest", str(BENCH / "bench_todo_cli.yaml"), "-q",
                 "-p", "no:cacheprovider", "--gaobench-agent=anthropic",
                 f"--gaobench-record={out}", f"--gaobench-dir={Path(scratch) / 'runs'}"],
                cwd=ROOT, env=env)
            if done.returncode != 0:
                return done.returncode
            CASSETTES.mkdir(exist_ok=True)
            shutil.copy(out / "todo-cli.jsonl", CASSETTES / "todo-cli.jsonl")
    finally:
        server.stop()
    print(f"wrote {CASSETTES / 'todo-cli.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
