"""Isolation with bubblewrap: no network, no writes outside the workspace, no harness
environment, its own PID namespace; and what happens where bubblewrap is missing."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, result_named

from pytest_gaobench.sandbox.isolation import find_bwrap

BWRAP, WHY_NOT = find_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"no working bubblewrap: {WHY_NOT}")


@pytest.fixture
def tcp_server() -> Iterator[int]:
    """A listening socket on 127.0.0.1 of the harness's network namespace."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def connect(port: int) -> dict[str, str]:
    return {"name": "network", "run": "python -c \"import socket; socket.create_connection(("
                                      f"'127.0.0.1', {port}), timeout=3)\""}


@needs_bwrap
def test_isolated_commands_are_confined(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                        tcp_server: int, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setenv("GAOBENCH_TEST_SECRET", "s3cr3t-value")
    in_tmp = pytester.path / "outside.txt"  # under /tmp: inside, a private tmpfs
    outside = Path(__file__).parent / f".escape-{os.getpid()}"  # a real folder, not /tmp
    bench.write("calc", oracle_script=f"""
        touch {in_tmp}
        touch {outside} || echo refused-outside
        touch ../result.json || echo refused-run-dir
        echo ok > inside.txt
        """, success_criteria={"tests_must_pass": True, "commands": [
            connect(tcp_server),
            {"name": "no-secret", "run": "if env | grep -q s3cr3t-value; then exit 1; fi"},
            {"name": "own-pids", "run": "test $$ -lt 20"},
            {"name": "wrote-inside", "run": "test -f inside.txt"}]})
    pytester.runpytest("--gaobench-isolation=required").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["metadata"]["isolation"] == "bwrap"
    criteria = {c["name"]: c["passed"] for c in result["criteria"]}
    assert criteria == {"tests_must_pass": True, "command:network": False,
                        "command:no-secret": True, "command:own-pids": True,
                        "command:wrote-inside": True}
    escaped = outside.exists()
    outside.unlink(missing_ok=True)
    assert not in_tmp.exists() and not escaped
    transcript = (pytester.path / ".gaobench" / "runs" / result["run_id"] / "transcript.jsonl")
    assert "refused-outside" in transcript.read_text()
    assert "refused-run-dir" in transcript.read_text()


@needs_bwrap
def test_allow_network_opens_the_agents_phases_and_never_grading(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tcp_server: int) -> None:
    reach = connect(tcp_server)["run"]
    bench.write("calc", allow_network=True, oracle_script=f"{reach} && touch reached.txt",
                success_criteria={"tests_must_pass": True, "commands": [
                    {"name": "agent-reached", "run": "test -f reached.txt"},
                    connect(tcp_server)]})
    pytester.runpytest("--gaobench-isolation=required").assert_outcomes(failed=1)
    criteria = {c["name"]: c["passed"] for c in result_named(pytester.path, "calc")["criteria"]}
    assert criteria == {"tests_must_pass": True, "command:agent-reached": True,
                        "command:network": False}


def test_without_isolation_the_same_command_reaches_the_network(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tcp_server: int) -> None:
    bench.write("calc", success_criteria={"commands": [connect(tcp_server)]})
    pytester.runpytest("--gaobench-isolation=none").assert_outcomes(passed=1)
    assert result_named(pytester.path, "calc")["metadata"]["isolation"] == "none"


def run_without_bwrap(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on it
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_required_isolation_without_bwrap_is_a_usage_error(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    done = run_without_bwrap(pytester.path, "--gaobench-isolation=required")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert ("--gaobench-isolation=required, but bubblewrap (bwrap) is not installed: install "
            "bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`)") in done.stderr


def test_auto_isolation_without_bwrap_warns_and_runs(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    bench.write("calc")
    done = run_without_bwrap(pytester.path)
    assert done.returncode == 0, done.stdout + done.stderr
    output = " ".join(done.stdout.split())  # the warning is wrapped in the summary
    assert "sandbox commands run without isolation (bubblewrap (bwrap) is not installed)" \
        in output
    assert "grades and secrets are not protected" in output
    assert result_named(pytester.path, "calc")["metadata"]["isolation"] == "none"


NO_USERNS_BWRAP = """\
#!/bin/sh
for arg in "$@"; do
  if [ "$arg" = "--unshare-user" ]; then
    echo "bwrap: No permissions to create new namespace" >&2
    exit 1
  fi
done
exec {bwrap} "$@"
"""


def run_with_bwrap_without_user_namespaces(root: Path, *args: str
                                           ) -> subprocess.CompletedProcess[str]:
    """A bwrap that cannot make user namespaces, as on a kernel or container that forbids
    them (the real one wrapped, so everything else still works)."""
    assert BWRAP is not None
    shim = root / "shim"
    shim.mkdir()
    (shim / "bwrap").write_text(NO_USERNS_BWRAP.format(bwrap=BWRAP))
    (shim / "bwrap").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


AS_ROOT = os.geteuid() == 0
not_as_root = pytest.mark.skipif(AS_ROOT, reason="a root harness never relies on a user "
                                 "namespace; test_host_root runs this path as nobody")


@needs_bwrap
@pytest.mark.skipif(not AS_ROOT, reason="the root harness's path")
def test_a_root_harness_without_user_namespaces_still_runs_commands_as_nobody(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="id -u > uid.txt\ngrep CapEff /proc/self/status > caps.txt")
    done = run_with_bwrap_without_user_namespaces(pytester.path, "--gaobench-keep",
                                                  "--gaobench-isolation=required")
    assert done.returncode == 0, done.stdout + done.stderr
    workspace = Path(result_named(pytester.path, "calc")["workspace"])
    assert int((workspace / "uid.txt").read_text()) == pwd.getpwnam("nobody").pw_uid
    assert int((workspace / "caps.txt").read_text().split()[1], 16) == 0


@needs_bwrap
@not_as_root
def test_required_isolation_without_user_namespaces_is_a_usage_error(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    done = run_with_bwrap_without_user_namespaces(pytester.path,
                                                  "--gaobench-isolation=required")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert ("--gaobench-isolation=required, but bwrap cannot run commands in a user "
            "namespace here (bwrap: No permissions to create new namespace)") in done.stderr
    assert "unprivileged user namespaces" in done.stderr


@needs_bwrap
@not_as_root
def test_auto_isolation_without_user_namespaces_warns_and_drops_capabilities(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="grep CapEff /proc/self/status > caps.txt")
    done = run_with_bwrap_without_user_namespaces(pytester.path, "--gaobench-keep")
    assert done.returncode == 0, done.stdout + done.stderr
    output = " ".join(done.stdout.split())
    assert "sandbox commands run under bubblewrap without a user namespace" in output
    result = result_named(pytester.path, "calc")
    assert result["metadata"]["isolation"] == "bwrap"
    caps = (Path(result["workspace"]) / "caps.txt").read_text().split()
    assert int(caps[1], 16) == 0  # still no capabilities, even as root
