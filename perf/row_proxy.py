"""Row: the metering proxy's added time per call, and how long it takes to close."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import PROGRAMS, ROOT, report


def proxy_overhead(scratch: Path, repeat: int) -> None:
    """The metering proxy's added time per call: the same small streamed and whole calls,
    in turn straight to the scripted API, through a real ``MeteredApi`` (admission,
    counting, the run log) and through a bare aiohttp passthrough (the stack's own cost of
    two more hops), each side's median over 200 calls per repeat. As in use, the agent and
    the API are other processes than the harness (in one process they would wait on each
    other for the interpreter lock). Also how long the proxy takes to close."""
    import anthropic
    from benchmark_files import BenchmarkWriter
    from fake_anthropic import VALID_KEY

    from pytest_gaobench.agents.base import PhaseContext
    from pytest_gaobench.logs.log import RunLog
    from pytest_gaobench.logs.redaction import Redactor
    from pytest_gaobench.metering.credentials import ApiKey
    from pytest_gaobench.metering.metered_api import MeteredApi
    from pytest_gaobench.metering.pricing import PriceTable
    from pytest_gaobench.model.metrics import Usage
    from pytest_gaobench.model.spec import Budget
    from pytest_gaobench.sandbox.sandbox import Sandbox
    from pytest_gaobench.specfile.load import load_spec

    upstream = subprocess.Popen(
        [sys.executable, str(PROGRAMS / "upstream.py"), str(ROOT / "tests")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert upstream.stdout is not None and upstream.stdin is not None
    server_url = upstream.stdout.readline().strip()
    passthrough = subprocess.Popen(
        [sys.executable, str(PROGRAMS / "passthrough.py"), server_url, VALID_KEY],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert passthrough.stdout is not None and passthrough.stdin is not None
    passthrough_url = passthrough.stdout.readline().strip()
    config = load_spec(BenchmarkWriter(scratch / "suite").write("calc"))
    (scratch / "run" / "workspace").mkdir(parents=True)
    log = RunLog(scratch / "run", Redactor([VALID_KEY]), run_id="run", benchmark="calc")
    ctx = PhaseContext(config=config, phase=config.workflow_phases[0], phase_index=0,
                       sandbox=Sandbox("run", scratch / "run", scratch / "run" / "workspace"),
                       usage=Usage(), run_usage=Usage(), log=log,
                       deadline=time.monotonic() + 3600)

    def metered(budget: Budget) -> MeteredApi:
        return MeteredApi(ctx, api_key=ApiKey(VALID_KEY, "perf"), token="perf-token",
                          prices=PriceTable.shipped(), budget=budget,
                          model="claude-sonnet-5-5", upstream=server_url)

    def per_call(url: str, key: str) -> tuple[float, float]:
        """Medians of one caller's streamed and whole calls."""
        printed = subprocess.run([sys.executable, str(PROGRAMS / "caller.py"), url, key, "210"],
                                 check=True, capture_output=True, text=True).stdout
        upstream.stdin.write("clear\n")  # type: ignore[union-attr]
        upstream.stdin.flush()  # type: ignore[union-attr]
        streamed, whole = map(float, printed.split())
        return streamed, whole

    closing = []
    proxied: list[tuple[float, float]] = []
    direct: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    try:
        with metered(Budget(max_cost_usd=1000.0)) as api:
            per_call(api.url, "perf-token")  # warm the roads
            per_call(passthrough_url, "any")
            for _ in range(repeat):
                proxied.append(per_call(api.url, "perf-token"))
                direct.append(per_call(server_url, VALID_KEY))
                bare.append(per_call(passthrough_url, "any"))
        for _ in range(repeat):
            with metered(Budget()) as again:
                anthropic.Anthropic(api_key="perf-token", base_url=again.url, max_retries=0
                                    ).models.list()
                started = time.perf_counter()
            closing.append(time.perf_counter() - started)
    finally:
        log.close()
        for process in (upstream, passthrough):
            process.stdin.close()  # type: ignore[union-attr]
            process.wait()
    for index, kind in enumerate(("streamed", "whole")):
        ours = statistics.median(p[index] for p in proxied) * 1000
        theirs = statistics.median(d[index] for d in direct) * 1000
        floor = statistics.median(b[index] for b in bare) * 1000
        report(f"a {kind} call through the metering proxy vs straight to the API",
               ours, theirs, "<= 1 ms added", unit="ms")
        print(f"{'  added per call; a bare aiohttp passthrough adds':58} {ours - theirs:8.3f}ms"
              f"; {floor - theirs:.3f}ms", flush=True)
    print(f"{'the proxy closes in (median; bound 2,000ms)':58} "
          f"{statistics.median(closing) * 1000:8.1f}ms", flush=True)
