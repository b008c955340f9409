"""The harness against its baselines, each row measured side by side in this one run.

    python perf/run.py [--repeat N] [--only NAME ...]

Every row alternates the two sides N times (default 5) and prints both medians and their
ratio, with the target the project holds itself to. These machines are noisy: read the
ratio, run again before believing a surprise. Not a test: timing never is. One module per
row (``row_*.py``); the programs a row runs as processes of their own are in ``programs/``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from row_check import check_vs_oracle
from row_collect import collection
from row_container import container
from row_copy import copying
from row_environment import environment
from row_git import git_repeat
from row_harness import harness
from row_parallel import parallel
from row_plugin import plugin_overhead
from row_proxy import proxy_overhead
from row_results import results_commands
from row_small import small_benchmark
from row_turn import agent_turn

ROWS = {"plugin": plugin_overhead, "results": results_commands, "collect": collection,
        "copy": copying, "git": git_repeat, "turn": agent_turn, "parallel": parallel,
        "harness": harness, "small": small_benchmark, "proxy": proxy_overhead,
        "check": check_vs_oracle, "environment": environment, "container": container}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(ROWS), default=sorted(ROWS))
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the rows make their files (default: the system's "
                             "temporary folder); a RAM disk such as /dev/shm takes the "
                             "disk's speed out of the copy and git rows")
    options = parser.parse_args()
    for name in ROWS:
        if name in options.only:
            with tempfile.TemporaryDirectory(prefix=f"gaobench-perf-{name}-",
                                             dir=options.scratch) as scratch:
                ROWS[name](Path(scratch), options.repeat)


if __name__ == "__main__":
    main()
