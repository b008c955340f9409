"""Row: our agent's time per turn against the raw SDK loop (programs/raw_loop.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from scripted_api import api_benchmarks, api_env, api_server, tool_until_done
from timing import PROGRAMS, median_gap, report, side_by_side


def agent_turn(scratch: Path, repeat: int) -> None:
    """Our agent's time per turn against the raw SDK loop, from inside each run: the
    median gap between one response and the next over turns 10 to 110 (our transcript's
    timestamps; the raw loop prints its own), so process start and imports, which made a
    110-minus-10 difference of whole runs swing by milliseconds per turn, are not in it."""
    server = api_server(tool_until_done)
    env = api_env(server)
    try:
        project = scratch / "ours"
        project.mkdir()
        api_benchmarks(project, ["turns"], 110)
        workspace = scratch / "raw-workspace"  # the same files as the agent's workspace
        shutil.copytree(project / "boilerplates" / "turns", workspace)
        script = ("import sys; from pathlib import Path; "
                  "from pytest_gaobench import StandaloneRunner; "
                  "print(StandaloneRunner(sandbox_root=Path(sys.argv[2])).run_benchmark("
                  "sys.argv[1]).run_id)")

        def ours() -> float:
            server.requests.clear()  # a server holding every request slows as it grows
            run_id = subprocess.run([sys.executable, "-c", script, "bench_turns.yaml",
                                     str(scratch / "sandbox")], cwd=project, env=env,
                                    check=True, capture_output=True, text=True).stdout.split()[-1]
            lines = (scratch / "sandbox" / "runs" / run_id / "transcript.jsonl").read_text()
            stamps = [datetime.fromisoformat(entry["at"]).timestamp()
                      for entry in map(json.loads, lines.splitlines())
                      if entry["kind"] == "response"]
            return median_gap(stamps)

        def raw() -> float:
            server.requests.clear()
            printed = subprocess.run([sys.executable, str(PROGRAMS / "raw_loop.py"), "110"],
                                     cwd=workspace, env=env, check=True, capture_output=True,
                                     text=True)
            return median_gap([float(line) for line in printed.stdout.split()])

        # The noisiest row, and a cheap repeat: a run's median moves by a quarter from one
        # run to the next on a shared machine, so this row takes three times the repeats.
        ours_s, raw_s = side_by_side(ours, raw, repeat * 3)
    finally:
        server.stop()
    report("agent's time per turn vs the raw SDK loop (median, turns 10-110)",
           ours_s * 1000, raw_s * 1000, "<= 1.10x", unit="ms")
