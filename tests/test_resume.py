"""Checkpoint and resume: an interrupted run continues from its last completed phase."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, ctrl_c_works, run_results

PHASES = [{"phase_name": "plan", "expected_artifacts": ["PLAN.md"]},
          {"phase_name": "build"},
          {"phase_name": "check"}]


def interrupt_during_build(root: Path) -> dict[str, object]:
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=ctrl_c_works)
    deadline = time.monotonic() + 60
    while not list(root.glob(".gaobench/runs/*/workspace/build-started")):
        assert time.monotonic() < deadline and process.poll() is None, "build never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    [result] = run_results(root)
    return result


def test_resume_skips_completed_phases_and_completes(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    bench.write("calc", phases=PHASES,
                phase_oracles={"plan": {"PLAN.md": "add two numbers\n"},
                               "check": {"calc.py": SOLUTION}},
                phase_scripts={"build": "touch build-started\nsleep 120\n"})
    first = interrupt_during_build(pytester.path)
    assert first["failure_kind"] == "interrupted"
    assert [p["status"] for p in first["phases"]] == ["completed", "failed", "skipped"]
    assert [c["phase"] for c in first["metadata"]["checkpoints"]] == ["plan"]

    (pytester.path / "oracles" / "calc" / "build.sh").write_text("echo built > build.txt\n")
    pytester.runpytest("--gaobench-resume").assert_outcomes(passed=1)

    second = next(r for r in run_results(pytester.path) if r["run_id"] != first["run_id"])
    assert second["status"] == "completed"
    assert second["metadata"]["resumed_from"] == first["run_id"]
    assert [p["status"] for p in second["phases"]] == ["completed"] * 3
    # The plan phase was carried over, not run again.
    assert second["phases"][0]["start_time"] == first["phases"][0]["start_time"]
    events = (pytester.path / ".gaobench" / "runs" / second["run_id"] / "events.jsonl")
    started = [e["phase"] for e in map(json.loads, events.read_text().splitlines())
               if e["event"] == "phase_started"]
    assert started == ["build", "check"]


def test_each_item_resumes_its_own_run_and_a_run_is_resumed_once(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """Two attempts of one benchmark: only the first was interrupted, so only the first
    resumes (the second starts afresh, never carrying the first's workspace and spend);
    a run that was resumed is not offered again."""
    bench.write("calc", phases=PHASES,
                phase_oracles={"plan": {"PLAN.md": "add two numbers\n"},
                               "check": {"calc.py": SOLUTION}},
                phase_scripts={"build": "touch build-started\nsleep 120\n"})
    (pytester.path / "pytest.ini").write_text("[pytest]\ngaobench_repeat = 2\n")
    first = interrupt_during_build(pytester.path)
    assert first["metadata"]["attempt"] == 1
    (pytester.path / "oracles" / "calc" / "build.sh").write_text("echo built > build.txt\n")
    pytester.runpytest("--gaobench-resume").assert_outcomes(passed=2)
    second = {r["metadata"]["attempt"]: r for r in run_results(pytester.path)
              if r["run_id"] != first["run_id"]}
    assert second[1]["metadata"]["resumed_from"] == first["run_id"]
    assert second[2]["metadata"]["resumed_from"] is None
    assert [p["status"] for p in second[2]["phases"]] == ["completed"] * 3
    # Once more: the interrupted run was resumed already, the others completed.
    pytester.runpytest("--gaobench-resume").assert_outcomes(passed=2)
    third = [r for r in run_results(pytester.path)
             if r["run_id"] not in {first["run_id"], *(r["run_id"] for r in second.values())}]
    assert [r["metadata"]["resumed_from"] for r in third] == [None, None]


def test_resume_by_run_id_and_nothing_to_resume(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest().assert_outcomes(passed=1)
    [done] = run_results(pytester.path)
    # A completed run is not resumable: the benchmark starts over and passes.
    pytester.runpytest("--gaobench-resume", done["run_id"]).assert_outcomes(passed=1)
    latest = max(run_results(pytester.path), key=lambda r: r["run_id"])
    assert latest["metadata"]["resumed_from"] is None


def test_a_checkpoint_restores_absolute_symlinks(tmp_path: Path) -> None:
    from pytest_gaobench.run.checkpoint import restore_checkpoint, save_checkpoint

    workspace = tmp_path / "workspace"
    (workspace / "venv" / "bin").mkdir(parents=True)
    (workspace / "venv" / "bin" / "python").symlink_to(sys.executable)  # as venv makes it
    (workspace / "venv" / "bin" / "python3").symlink_to("python")
    (workspace / "app.py").write_text("print('hi')\n")
    checkpoint = save_checkpoint(tmp_path, workspace, 0, "plan")
    restored = tmp_path / "restored"
    restore_checkpoint(tmp_path / checkpoint.archive, restored)
    assert os.readlink(restored / "venv" / "bin" / "python") == sys.executable
    assert os.readlink(restored / "venv" / "bin" / "python3") == "python"
    assert (restored / "app.py").read_text() == "print('hi')\n"


def _archive(path: Path, *members: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


@pytest.mark.parametrize("members", [
    [(_entry("../escaped.txt"), b"x")],
    [(_entry("lnk", tarfile.SYMTYPE, "{outside}"), b""), (_entry("lnk/escaped.txt"), b"x")],
    [(_entry("h", tarfile.LNKTYPE, "../outside/victim.txt"), b"")],
    [(_entry("fifo", tarfile.FIFOTYPE), b"")],
], ids=["dotdot", "through-a-link", "hard-link-out", "fifo"])
def test_a_checkpoint_cannot_write_outside_the_workspace(
        tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
    from pytest_gaobench.run.checkpoint import CheckpointError, restore_checkpoint

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("untouched\n")
    for info, _ in members:
        info.linkname = info.linkname.format(outside=outside)
    archive = _archive(tmp_path / "evil.tar.gz", *members)
    with pytest.raises(CheckpointError):
        restore_checkpoint(archive, tmp_path / "workspace")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "untouched\n"
    assert not (tmp_path / "escaped.txt").exists()
