"""Row: a git boilerplate's repeat run (through the mirror cache) against a fresh clone."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from pathlib import Path

from timing import report, side_by_side, timed


def git_repeat(scratch: Path, repeat: int) -> None:
    from pytest_gaobench.sandbox.boilerplate import BoilerplateManager
    from pytest_gaobench.sandbox.git_cache import GitCache

    origin = scratch / "origin"
    subprocess.run(["git", "init", "-q", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "-C", str(origin), "fast-import", "--quiet"], check=True,
                   input=history(files=300, commits=1000))
    subprocess.run(["git", "-C", str(origin), "tag", "v1", "main"], check=True)
    subprocess.run(["git", "-C", str(origin), "gc", "-q"], check=True)
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
    # Both sides write the same working tree; on a slow disk that alone can be most of
    # either figure, and a real remote adds the network to the fresh clone only.
    tree = scratch / "tree"
    shutil.copytree(scratch / "warm", tree, ignore=shutil.ignore_patterns(".git"))

    def write_tree() -> float:
        shutil.rmtree(scratch / "tree-copy", ignore_errors=True)
        return timed(["cp", "-a", str(tree), str(scratch / "tree-copy")], scratch)

    floor = statistics.median(write_tree() for _ in range(repeat))
    print(f"{'':4}of which writing the working tree's 300 files (cp -a) takes {floor:.3f}s "
          f"here; the fresh clone's own part is {fresh_s - floor:.3f}s, ours "
          f"{ours_s - floor:.3f}s", flush=True)


def history(files: int, commits: int) -> bytes:
    """A fast-import stream of a project with a history, as the repositories boilerplates
    come from have: ``files`` modules, then ``commits`` commits that each change five of
    them. A fresh clone fetches and indexes all of it; a cached one links it."""
    stream = []
    for n in range(commits + 1):
        changed = range(files) if n == 0 else [(n * 7 + k * 61) % files for k in range(5)]
        message = f"change {n}"
        stream.append(f"commit refs/heads/main\ncommitter p <p@example.invalid> "
                      f"{1_700_000_000 + n} +0000\ndata {len(message)}\n{message}\n")
        for module in changed:
            body = "".join(f"VALUE_{line} = {line * (n + 1) + module}\n" for line in range(200))
            stream.append(f"M 644 inline m{module}.py\ndata {len(body)}\n{body}\n")
    return "".join(stream).encode()
