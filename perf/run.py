"""The harness against its baselines, each row measured side by side in this one run.

    python perf/run.py [--repeat N] [--only NAME ...]

Every row alternates the two sides N times (default 5) and prints both medians and their
ratio, with the target the project holds itself to. These machines are noisy: read the
ratio, run again before believing a surprise. Not a test: timing never is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

Side = Callable[[], float]


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def side_by_side(ours: Side, theirs: Side, repeat: int) -> tuple[float, float]:
    """Medians of both sides, measured alternately so load changes hit both alike."""
    mine, base = [], []
    ours(), theirs()  # warm the file cache and the interpreter's bytecode
    for _ in range(repeat):
        mine.append(ours())
        base.append(theirs())
    return statistics.median(mine), statistics.median(base)


def report(name: str, ours: float, theirs: float, target: str, unit: str = "s") -> None:
    ratio = ours / theirs if theirs else float("inf")
    print(f"{name:58} {ours:8.3f}{unit} vs {theirs:8.3f}{unit}  ratio {ratio:5.2f}x  "
          f"(target {target})", flush=True)


# -- the rows ------------------------------------------------------------------------------

def plugin_overhead(scratch: Path, repeat: int) -> None:
    project = scratch / "unrelated"
    project.mkdir()
    for n in range(30):
        (project / f"test_m{n}.py").write_text(
            "".join(f"def test_{k}():\n    assert {k} + 1 > {k}\n\n" for k in range(10)))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    ours, theirs = side_by_side(lambda: timed(pytest, project),
                                lambda: timed([*pytest, "-p", "no:gaobench"], project), repeat)
    report("unrelated pytest run: plugin loaded vs -p no:gaobench", ours, theirs, "<= 1.05x")


def results_commands(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.status import BenchmarkStatus
    from pytest_gaobench.results.store import ResultStore

    db = scratch / "results.db"
    store = ResultStore(f"sqlite:///{db}")
    for n in range(1000):
        result = BenchmarkResult(run_id=f"20260101-{n:06d}", status=BenchmarkStatus.COMPLETED,
                                 benchmark=BenchmarkInfo(name=f"bench-{n % 40}"))
        result.metrics.usage.record_api_call(tokens_input=1000 + n, tokens_output=50,
                                             cost_usd=0.01)
        store.save(result)
    store.close()
    gao = [sys.executable, "-m", "pytest_gaobench.cli", "results", f"--db={db}"]
    empty = [sys.executable, "-c", "pass"]
    for what, args in (("list", ["list"]),
                       ("compare", ["compare", "20260101-000001", "20260101-000041"])):
        ours, python = side_by_side(lambda a=args: timed([*gao, *a], scratch),  # type: ignore[misc]
                                    lambda: timed(empty, scratch), repeat)
        report(f"gao-dev results {what} (1,000 runs) vs a bare `python -c pass`", ours, python,
               "<= 0.3 s wall for gao-dev")


def collection(scratch: Path, repeat: int) -> None:
    from benchmark_files import BenchmarkWriter

    yamls, pys = scratch / "yamls", scratch / "pys"
    BenchmarkWriter(yamls).write("b0")
    template = (yamls / "bench_b0.yaml").read_text()
    for n in range(1, 1000):
        (yamls / f"bench_b{n}.yaml").write_text(template.replace("name: b0", f"name: b{n}"))
    pys.mkdir()
    for n in range(1000):
        (pys / f"test_t{n}.py").write_text(f"def test_t{n}():\n    pass\n")
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    ours, theirs = side_by_side(lambda: timed(collect, yamls), lambda: timed(collect, pys),
                                repeat)
    report("collect 1,000 benchmark YAMLs vs 1,000 one-test .py files", ours, theirs,
           "<= 1.3x")


def copying(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.sandbox.boilerplate import BoilerplateManager

    source = scratch / "boilerplate"
    for n in range(3000):
        folder = source / f"pkg{n % 30}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.py").write_bytes(os.urandom(8 * 1024 + n % 512))
    manager = BoilerplateManager()

    def ours() -> float:
        target = scratch / "ours"
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        manager.copy_local(source, target)
        return time.perf_counter() - started

    def cp() -> float:
        target = scratch / "cp"
        shutil.rmtree(target, ignore_errors=True)
        return timed(["cp", "-a", str(source), str(target)], scratch)

    ours_s, cp_s = side_by_side(ours, cp, repeat)
    report("local boilerplate copy (3,000 files, 25 MB) vs cp -a", ours_s, cp_s, "<= 1.3x")


def git_repeat(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.sandbox.boilerplate import BoilerplateManager
    from pytest_gaobench.sandbox.git_cache import GitCache

    origin = scratch / "origin"
    origin.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "p", "GIT_AUTHOR_EMAIL": "p@example.invalid",
           "GIT_COMMITTER_NAME": "p", "GIT_COMMITTER_EMAIL": "p@example.invalid"}
    for n in range(300):
        (origin / f"m{n}.py").write_text(f"VALUE = {n}\n" * 200)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "c"],
                 ["tag", "v1"]):
        subprocess.run(["git", "-C", str(origin), *args], check=True, env=env)
    url = f"file://{origin}"
    cached = BoilerplateManager(git_cache=GitCache(scratch / "cache"))
    cached.clone(url, scratch / "warm", "v1")  # the first run fills the mirror

    def ours() -> float:
        target = scratch / "ours"
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        cached.clone(url, target, "v1")
        return time.perf_counter() - started

    def fresh() -> float:
        target = scratch / "fresh"
        shutil.rmtree(target, ignore_errors=True)
        return timed(["git", "clone", "-q", "--no-local", url, str(target)], scratch)

    ours_s, fresh_s = side_by_side(ours, fresh, repeat)
    report("git boilerplate, repeat run of a URL+ref vs a fresh `git clone`", ours_s, fresh_s,
           "<= 0.3x")


ROWS = {"plugin": plugin_overhead, "results": results_commands, "collect": collection,
        "copy": copying, "git": git_repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(ROWS), default=sorted(ROWS))
    options = parser.parse_args()
    for name in ROWS:
        if name in options.only:
            with tempfile.TemporaryDirectory(prefix=f"gaobench-perf-{name}-") as scratch:
                ROWS[name](Path(scratch), options.repeat)


if __name__ == "__main__":
    main()
