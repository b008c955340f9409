"""Ctrl-C, SIGTERM and the pytest-timeout backstop: the run is saved, the sandbox removed,
and pytest still writes its JUnit file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, ctrl_c_works, result_named, run_results


def wait_for(root: Path, pattern: str, timeout: float = 60) -> None:
    """Poll for a file the benchmark writes when it is mid-phase (not a timing sleep)."""
    deadline = time.monotonic() + timeout
    while not list(root.glob(pattern)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern} never appeared under {root}")
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "reason"), [(signal.SIGINT, "interrupted (Ctrl-C)"),
                                             (signal.SIGTERM, "terminated (SIGTERM)")])
def test_signal_mid_phase_saves_the_run_and_removes_the_sandbox(
        pytester: pytest.Pytester, bench: BenchmarkWriter, sig: signal.Signals,
        reason: str) -> None:
    sleeper = f"sleep 120.{uuid.uuid4().int % 10**12}"  # unique: other tests may be sleeping
    bench.write("first")  # finishes before the signal
    bench.write("slow", oracle_script=f"touch phase-started\n{sleeper}\n",
                file_name="bench_z_slow.yaml")
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=junit.xml"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=ctrl_c_works)
    wait_for(pytester.path, ".gaobench/runs/*-slow-*/workspace/phase-started")
    process.send_signal(sig)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output

    slow = result_named(pytester.path, "slow")
    assert slow["status"] == "failed"
    assert slow["failure_kind"] == "interrupted"
    assert slow["reason"] == reason
    assert slow["phases"][0]["status"] == "failed" and slow["phases"][0]["error"] == "interrupted"
    run_dir = pytester.path / ".gaobench" / "runs" / slow["run_id"]
    history = json.loads((run_dir / "status.json").read_text())["history"]
    assert [h["status"] for h in history] == ["pending", "running", "failed"]
    assert not (run_dir / "workspace").exists()
    assert result_named(pytester.path, "first")["status"] == "completed"
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="first"' in junit  # what finished is reported
    cases = {case.get("name"): case for case in ET.parse(pytester.path / "junit.xml")
             .iter("testcase")}
    assert set(cases) == {"first", "slow"}  # no nameless case; the stopped one by name
    stopped = cases["slow"]
    assert stopped.find("failure") is not None
    props = {p.get("name"): p.get("value") for p in stopped.iter("property")}
    assert props["failure_kind"] == "interrupted" and props["run_id"] == slow["run_id"]
    assert f"interrupted: slow [{slow['run_id']}] at " in output
    assert "pytest -p no:cacheprovider --junitxml=junit.xml --gaobench-resume" in output
    assert "gaobench summary" in output
    assert sleeper not in subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                          text=True).stdout


def test_pytest_timeout_backstop_ends_as_timeout(pytester: pytest.Pytester,
                                                 bench: BenchmarkWriter) -> None:
    """An agent that ignores its deadline is stopped by the pytest-timeout backstop."""
    pytester.makeconftest(textwrap.dedent("""
        import time

        class StuckAgent:
            name = "stuck"

            def run_phase(self, ctx):
                time.sleep(60)  # ignores ctx.deadline on purpose

        def pytest_gaobench_add_agents(agents):
            agents["stuck"] = lambda **options: StuckAgent()
    """))
    bench.write("calc", timeout_seconds=1, success_criteria={})
    started = time.monotonic()
    outcome = pytester.runpytest_subprocess("--gaobench-agent", "stuck",
                                            "--gaobench-timeout-grace", "1")
    assert time.monotonic() - started < 40
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["status"] == "timeout"
    assert result["reason"].startswith("pytest-timeout backstop: Timeout")


def test_a_killed_harness_leaves_the_finished_phases_on_disk(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """SIGKILL cannot be handled; what was finished before it must already be written."""
    phases = [{"phase_name": "plan"}, {"phase_name": "build"}]
    sleeper = f"sleep 120.{uuid.uuid4().int % 10**12}"
    bench.write("calc", phases=phases, phase_oracles={"plan": {"PLAN.md": "plan\n"}},
                phase_scripts={"build": f"touch build-started\n{sleeper}\n"},
                success_criteria={"required_features": ["PLAN.md", "build.txt"]})
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                               cwd=pytester.path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for(pytester.path, ".gaobench/runs/*/workspace/build-started")
    process.kill()
    process.wait(timeout=30)
    [path] = pytester.path.glob(".gaobench/runs/*/result.json")
    partial = json.loads(path.read_text())
    assert partial["status"] == "running"
    assert [(p["name"], p["status"]) for p in partial["phases"]] == [("plan", "completed")]
    plan = partial["phases"][0]
    assert plan["duration_seconds"] > 0
    assert partial["metrics"]["phase_seconds"]["plan"] == plan["duration_seconds"]
    history = json.loads((path.parent / "status.json").read_text())["history"]
    assert [h["status"] for h in history] == ["pending", "running"]
    subprocess.run(["pkill", "-f", sleeper], check=False)  # unisolated runs leave it behind

    # Its owner is gone, so --gaobench-resume takes it up from the plan phase's checkpoint.
    (pytester.path / "oracles" / "calc" / "build.sh").write_text("echo built > build.txt\n")
    pytester.runpytest("--gaobench-resume").assert_outcomes(passed=1)
    resumed = next(r for r in run_results(pytester.path) if r["run_id"] != partial["run_id"])
    assert resumed["metadata"]["resumed_from"] == partial["run_id"]
    assert [(p["name"], p["status"]) for p in resumed["phases"]] == [("plan", "completed"),
                                                                       ("build", "completed")]
    assert resumed["phases"][0]["start_time"] == partial["phases"][0]["start_time"]


def test_a_run_whose_owner_is_alive_is_not_resumed(tmp_path: Path) -> None:
    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.run_metadata import Checkpoint
    from pytest_gaobench.model.status import BenchmarkStatus
    from pytest_gaobench.run.ownership import RunLock
    from pytest_gaobench.run.resume import RunKey, find_resume_point, index_checkpointed_run

    run_dir = tmp_path / "runs" / "20260101-000000-calc-1"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "00-plan.tar.gz").write_bytes(b"")
    running = BenchmarkResult(run_id=run_dir.name, benchmark=BenchmarkInfo(name="calc"),
                              status=BenchmarkStatus.RUNNING)
    running.metadata.checkpoints = [Checkpoint(phase_index=0, phase="plan",
                                               archive="checkpoints/00-plan.tar.gz")]
    running.write(run_dir / "result.json")
    key = RunKey("calc", "", None, None)
    index_checkpointed_run(tmp_path / "runs", run_dir.name, key)
    assert find_resume_point(tmp_path / "runs", key, "latest") is None  # no owner known
    lock = RunLock(run_dir)
    lock.acquire()  # a live process runs it (this one)
    child = subprocess.run([sys.executable, "-c", (
        "import sys; from pathlib import Path; "
        "from pytest_gaobench.run.resume import RunKey, find_resume_point; "
        f"print(find_resume_point(Path({str(tmp_path / 'runs')!r}), "
        "RunKey('calc', '', None, None), 'latest'))")],
        capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "None", child.stderr
    lock.release()  # the owner is gone
    point = find_resume_point(tmp_path / "runs", key, "latest")
    assert point is not None and point.previous.run_id == run_dir.name


FAILING_LISTENER = """
def pytest_gaobench_result_ready(result, item):
    raise RuntimeError("dashboard is down")
"""


def test_a_failing_result_listener_costs_a_warning(pytester: pytest.Pytester,
                                                   bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.makeconftest(FAILING_LISTENER)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(passed=1, warnings=1)
    outcome.stdout.fnmatch_lines(["*a listener of run *calc* failed: RuntimeError: dashboard "
                                  "is down*"])


def test_a_failing_result_listener_does_not_replace_a_ctrl_c(pytester: pytest.Pytester,
                                                             bench: BenchmarkWriter) -> None:
    sleeper = f"sleep 120.{uuid.uuid4().int % 10**12}"
    bench.write("slow", oracle_script=f"touch phase-started\n{sleeper}\n")
    pytester.makeconftest(FAILING_LISTENER)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=junit.xml"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=ctrl_c_works)
    wait_for(pytester.path, ".gaobench/runs/*-slow-*/workspace/phase-started")
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output and "dashboard is down" in output
    assert result_named(pytester.path, "slow")["failure_kind"] == "interrupted"
