"""Row: collecting 1,000 benchmark files against 1,000 one-test modules."""

from __future__ import annotations

import sys
from pathlib import Path

from timing import report, side_by_side, timed


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
