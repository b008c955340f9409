"""Row: a command in a run's running container against the same command under
bubblewrap, and the container's start (paid once per run) on its own line, bare and with
an agent's runtime (its installation shown, the image probed for it)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from timing import report, side_by_side

BASE = "localhost/gaobench-test-base:bookworm"
COMMAND = ["sh", "-c", "echo hello > out.txt && cat out.txt"]


def container(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.agents.cli.installation import harness_python
    from pytest_gaobench.containers.container import RunContainer
    from pytest_gaobench.containers.engine import ContainerError, find_engine, run_options
    from pytest_gaobench.sandbox.isolation import IsolationMode, choose_isolation
    from pytest_gaobench.sandbox.sandbox import SandboxManager

    try:
        engine = find_engine()
        if engine.run("image", "inspect", BASE).returncode != 0:
            print(f"container row skipped: no {BASE} (run the container tests once)")
            return
        engine = run_options(engine, BASE)
    except ContainerError as exc:
        print(f"container row skipped: {exc}")
        return
    isolation, _ = choose_isolation(IsolationMode.REQUIRED, scratch / "gb")
    sandbox = SandboxManager(scratch / "gb", isolation=isolation).create("perf")
    sandbox.workspace.mkdir()
    workspace = scratch / "container-workspace"
    workspace.mkdir()
    python = harness_python()

    starts, with_agent = [], []
    for index in range(max(repeat, 1)):
        started = time.perf_counter()
        RunContainer.start(engine, BASE, workspace, f"perf-start-{index}").remove()
        starts.append(time.perf_counter() - started)
        started = time.perf_counter()
        agent_container = RunContainer.start(engine, BASE, workspace, f"perf-agent-{index}",
                                             shown=python.runtime)
        assert agent_container.exec(python.probe, timeout=60).ok
        agent_container.remove()
        with_agent.append(time.perf_counter() - started)
    running = RunContainer.start(engine, BASE, workspace, "perf-exec")
    try:
        def in_container() -> float:
            started = time.perf_counter()
            assert running.exec(COMMAND, timeout=60).ok
            return time.perf_counter() - started

        def under_bwrap() -> float:
            started = time.perf_counter()
            assert sandbox.run(COMMAND, timeout=60).ok
            return time.perf_counter() - started

        ours, theirs = side_by_side(in_container, under_bwrap, repeat)
    finally:
        running.remove()
    report("a command: exec in the run's container vs bubblewrap", ours, theirs,
           "measured: podman exec is its own process and attach")
    print(f"{'  the container start and removal, once per run':58} "
          f"{statistics.median(starts):8.3f}s", flush=True)
    print(f"{'  ... with an agent runtime shown and probed (a Python)':58} "
          f"{statistics.median(with_agent):8.3f}s", flush=True)
