"""Row: -n 2 against serial for benchmarks that wait on the API."""

from __future__ import annotations

import sys
from pathlib import Path

from scripted_api import api_benchmarks, api_env, api_server, tool_until_done
from timing import side_by_side, timed


def parallel(scratch: Path, repeat: int) -> None:
    """-n 2 against serial when the agents spend their time waiting on the API (0.5 s a
    call, 4 calls a benchmark): the marginal time of a benchmark (10 minus 4 of them), so
    the start of pytest and of xdist's workers (each imports the SDK on its first run),
    paid once per session, cancels out."""
    server = api_server(tool_until_done, delay=0.5)
    env = api_env(server)
    folders = {}
    for count in (4, 10):
        folders[count] = scratch / f"suite-{count}"
        folders[count].mkdir()
        api_benchmarks(folders[count], [f"wait{n}" for n in range(count)], 4)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--gaobench-agent=anthropic", "--gaobench-db=none"]

    def marginal(extra: list[str]) -> float:
        return (timed([*base, *extra], folders[10], env)
                - timed([*base, *extra], folders[4], env)) / 6

    try:
        two, one = side_by_side(lambda: marginal(["-n", "2"]), lambda: marginal([]),
                                max(1, min(repeat, 2)))
    finally:
        server.stop()
    print(f"{'-n 2 vs serial, a benchmark waiting on the API (marginal)':58} {two:8.3f}s vs "
          f"{one:8.3f}s  speed-up {one / two:5.2f}x  (target >= 1.8x)", flush=True)
