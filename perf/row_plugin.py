"""Row: an unrelated pytest run with the plugin loaded against without it."""

from __future__ import annotations

import sys
from pathlib import Path

from timing import report, side_by_side, timed


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
