"""The agent is the adversary of the harness itself: each attack below is what a hostile
agent did to cross the boundary between the sandbox and the harness (run by an oracle
script or a command agent, under ``--gaobench-isolation=required``), and each must now
change nothing but the agent's own result. The honest solution still passes."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, result_named

from pytest_gaobench.sandbox.isolation import find_bwrap

BWRAP, WHY_NOT = find_bwrap()
pytestmark = pytest.mark.skipif(BWRAP is None, reason=f"no working bubblewrap: {WHY_NOT}")

HIDDEN_TEST = """\
from calc import add


def test_add_hidden():  # hidden-marker-7f3a
    assert add(2, 3) == 5
"""
SOLVE = "printf '" + SOLUTION.replace("\n", "\\n") + "' > calc.py"


def required(pytester: pytest.Pytester, *args: str, timeout: float = 240) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-isolation=required", "-p",
                                         "no:cacheprovider", *args, timeout=timeout)


def graded(bench: BenchmarkWriter, name: str, **overrides: object) -> Path:
    """A benchmark graded by hidden tests that never reach the sandbox."""
    hidden = bench.root / "hidden" / name
    hidden.mkdir(parents=True, exist_ok=True)
    (hidden / "test_hidden_calc.py").write_text(HIDDEN_TEST)
    criteria = {"grading_tests": f"hidden/{name}"}
    return bench.write(name, success_criteria=criteria, **overrides)  # type: ignore[arg-type]


def every_artifact(root: Path) -> str:
    """Every file the harness wrote under ``root`` (results, logs, JUnit, pages)."""
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and "workspace" not in path.parts:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


# -- 1. git on an agent-made repository runs inside the sandbox, with our configuration ----

LAZY_FETCH_REPO = """\
set -e
g="git -c user.email=a@b -c user.name=agent"
git init -q -b main .
echo 1 > a && $g add a && $g commit -qm one
echo 2 > a && $g commit -qam two
parent=$(git rev-parse HEAD~1)
rm .git/objects/$(echo $parent | cut -c1-2)/$(echo $parent | cut -c3-)
git config core.repositoryformatversion 1
git config extensions.partialClone origin
git config remote.origin.url ssh://example.invalid/x
git config remote.origin.promisor true
git config core.fsmonitor "$PWD/evil.sh"
git config core.sshCommand "$PWD/evil.sh"
printf '#!/bin/sh\\nenv > {marker}\\n' > evil.sh
chmod +x evil.sh
"""


def test_git_never_runs_the_agents_programs_as_the_harness(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    marker = pytester.path / "ran-as-harness.txt"  # outside the sandbox
    script = LAZY_FETCH_REPO.format(marker=marker) + SOLVE
    bench.write("calc", oracle_script=script)
    required(pytester).assert_outcomes(passed=1)
    assert not marker.exists(), "the agent's ssh command ran outside the sandbox"
    result = result_named(pytester.path, "calc")
    assert result["metrics"]["workflow"]["commits"] is None  # git could not answer


# -- 2. no privilege inside, even when the harness is root ---------------------------------

PRIVILEGE_PROBE = """\
import ctypes, errno, json, os, socket
seen = {"uid": os.getuid()}
with open("/proc/self/status") as status:
    seen["cap_eff"] = next(l.split()[1] for l in status if l.startswith("CapEff"))
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    seen["raw_socket"] = "opened"
except OSError as exc:
    seen["raw_socket"] = errno.errorcode[exc.errno]
try:
    os.mknod("node", 0o600 | 0o020000, os.makedev(1, 3))
    seen["mknod"] = "made"
except OSError as exc:
    seen["mknod"] = errno.errorcode[exc.errno]
libc = ctypes.CDLL(None, use_errno=True)
handle = ctypes.create_string_buffer(8 + 128)
ctypes.c_uint.from_buffer(handle).value = 128
mount_id = ctypes.c_int()
if libc.name_to_handle_at(-100, b".", handle, ctypes.byref(mount_id), 0) == 0:
    fd = libc.open_by_handle_at(os.open(".", os.O_RDONLY), handle, os.O_RDONLY)
    seen["open_by_handle"] = "opened" if fd >= 0 else errno.errorcode[ctypes.get_errno()]
else:
    seen["open_by_handle"] = "no handle: " + errno.errorcode[ctypes.get_errno()]
json.dump(seen, open("privilege.json", "w"))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="capabilities matter when the harness is root "
                                              "(CI runs as root)")
def test_root_has_no_capabilities_inside(pytester: pytest.Pytester,
                                         bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_files={"calc.py": SOLUTION, "probe.py": PRIVILEGE_PROBE},
                oracle_script=f"{sys.executable} probe.py")
    required(pytester, "--gaobench-keep").assert_outcomes(passed=1)
    workspace = Path(result_named(pytester.path, "calc")["workspace"])
    seen = json.loads((workspace / "privilege.json").read_text())
    assert seen["uid"] != 0 and int(seen["cap_eff"], 16) == 0, seen
    assert seen["raw_socket"] == "EPERM", seen
    assert seen["mknod"] == "EPERM", seen
    assert seen["open_by_handle"] in ("EPERM", "no handle: EPERM"), seen


# -- 3. the grader loads no code of the workspace before the tests run ---------------------

FORGING_PLUGIN = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
ENTRY_POINT_FORGER = (
    "mkdir -p forged-0.1.dist-info && "
    "printf 'Metadata-Version: 2.1\\nName: forged\\nVersion: 0.1\\n' "
    "> forged-0.1.dist-info/METADATA && "
    "printf '[pytest11]\\nforged = forged_plugin\\n' > forged-0.1.dist-info/entry_points.txt && "
    f"cat > forged_plugin.py <<'EOF'\n{FORGING_PLUGIN}EOF\n")
# Imported by anyio's pytest plugin as it probes its optional backends; registers itself.
SELF_REGISTERING = FORGING_PLUGIN + """
import gc, sys
import pluggy

for manager in gc.get_objects():
    if isinstance(manager, pluggy.PluginManager) and manager.project_name == "pytest":
        manager.register(sys.modules[__name__], "forger")
        break
"""
OPTIONAL_IMPORT_FORGER = f"cat > trio.py <<'EOF'\n{SELF_REGISTERING}EOF\n"


def test_a_workspace_entry_point_does_not_load_into_the_grader(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    graded(bench, "forged", oracle_files={}, oracle_script=ENTRY_POINT_FORGER)
    graded(bench, "honest")
    required(pytester).assert_outcomes(passed=1, failed=1)
    forged = result_named(pytester.path, "forged")
    assert (forged["status"], forged["failure_kind"]) == ("failed", "criteria")
    assert result_named(pytester.path, "honest")["status"] == "completed"


def test_an_installed_plugins_optional_import_is_not_served_by_the_workspace(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """anyio's plugin probes `import trio` as it loads; with the project first on the path
    (the agent's own tests), a trio.py of the workspace answered, whether or not trio is
    installed, and forged the verdict of the tests_must_pass criterion."""
    pytest.importorskip("anyio.pytest_plugin")
    bench.write("forged", oracle_files={}, oracle_script=OPTIONAL_IMPORT_FORGER)
    required(pytester).assert_outcomes(failed=1)
    forged = result_named(pytester.path, "forged")
    assert (forged["status"], forged["failure_kind"]) == ("failed", "criteria")
    assert "NotImplementedError" in forged["criteria"][0]["detail"]


# -- 4. the run folder: nothing writable from inside, nothing re-read by a path the agent
#       could replace --------------------------------------------------------------------

def test_agent_links_in_its_run_folder_leak_nothing(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    graded(bench, "calc")
    secret = bench.root / "hidden" / "calc" / "test_hidden_calc.py"
    folder = '"$(dirname "$GAOBENCH_PROMPT_FILE")"'
    attack = (f"ln -sf {secret} {folder}/stdout.txt; ln -sf {secret} {folder}/stderr.txt; "
              f"ln -sf {secret} \"$GAOBENCH_USAGE_FILE\"; echo trying; exit 1")
    required(pytester, "--gaobench-agent=command", f"--gaobench-agent-command={attack}",
             "--junitxml=junit.xml").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    outputs = every_artifact(pytester.path / ".gaobench")
    outputs += (pytester.path / "junit.xml").read_text()
    assert "hidden-marker-7f3a" not in outputs
    assert secret.read_text() == HIDDEN_TEST  # nothing rewritten through a link


def test_a_fifo_for_a_usage_file_does_not_block_the_harness(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    attack = f"rm -f \"$GAOBENCH_USAGE_FILE\"; mkfifo \"$GAOBENCH_USAGE_FILE\"; {SOLVE}"
    required(pytester, "--gaobench-agent=command", f"--gaobench-agent-command={attack}",
             timeout=120).assert_outcomes(passed=1)
    assert any("usage file could not be read" in w
               for w in result_named(pytester.path, "calc")["warnings"])


# -- 5. network: a CLI agent reaches its proxy and nothing else ----------------------------

@pytest.fixture
def host_service() -> Iterator[int]:
    """A service on the host's loopback (a results database, say)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def reach(port: int, flag: str) -> str:
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"
    return f"{sys.executable} -c {shlex.quote(code)} && touch {flag}"


def test_a_cli_agent_cannot_reach_the_hosts_loopback(
        pytester: pytest.Pytester, bench: BenchmarkWriter, host_service: int) -> None:
    bench.write("calc", success_criteria={"tests_must_pass": True, "commands": [
        {"name": "no-host-service", "run": "test ! -f reached.txt"}]})
    command = f"{reach(host_service, 'reached.txt')}; {SOLVE}"
    required(pytester, "--gaobench-agent=command",
             f"--gaobench-agent-command={command}").assert_outcomes(passed=1)


def test_grading_never_has_the_network_even_when_agents_do(
        pytester: pytest.Pytester, bench: BenchmarkWriter, host_service: int) -> None:
    hidden = bench.root / "hidden" / "calc"
    hidden.mkdir(parents=True)
    # The solution "exfiltrates" when the hidden tests import it.
    (hidden / "test_hidden_calc.py").write_text(HIDDEN_TEST)
    leak = f"import socket; socket.create_connection(('127.0.0.1', {host_service}), timeout=3)\n"
    bench.write("calc", allow_network=True, oracle_files={"calc.py": leak + SOLUTION},
                oracle_script=f"{reach(host_service, 'agent-reached.txt')}",
                success_criteria={"grading_tests": "hidden/calc", "commands": [
                    {"name": "agent-had-network", "run": "test -f agent-reached.txt"}]})
    required(pytester).assert_outcomes(failed=1)
    criteria = {c["name"]: c for c in result_named(pytester.path, "calc")["criteria"]}
    assert criteria["command:agent-had-network"]["passed"]
    assert not criteria["grading_tests"]["passed"]  # the import could not connect
    assert "ConnectionRefused" not in json.dumps(criteria["grading_tests"])


# -- 6. agent text is data -----------------------------------------------------------------

HOSTILE_TEXT = "lone \ud800 nul \x00 osc52 \x1b]52;c;cHduZWQ=\x07 end <!-- </script> \u2028"


def test_any_agent_text_survives_every_writer(pytester: pytest.Pytester,
                                              bench: BenchmarkWriter) -> None:
    bench.write("calc")
    line = json.dumps({"type": "system", "subtype": "init", "session_id": "s"}) + "\n" + \
        json.dumps({"type": "result", "subtype": "error", "is_error": True,
                    "result": HOSTILE_TEXT})
    outcome = required(pytester, "--gaobench-agent=command",
                       f"--gaobench-agent-command=printf '%s\\n' {shlex.quote(line)}",
                       "--junitxml=junit.xml", "--gaobench-html=report.html")
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert "lone \ufffd nul \u2400 osc52" in result["reason"]
    status = json.loads((pytester.path / ".gaobench" / "runs" / result["run_id"]
                         / "status.json").read_text())
    assert status["history"][-1]["status"] == "failed"
    terminal = outcome.stdout.str() + outcome.stderr.str()
    assert "\x1b]52" not in terminal and "\\x1b]52" in terminal
    page = (pytester.path / "report.html").read_text()
    data = page.split("id='gaobench-data'>", 1)[1].split("</script>", 1)[0]
    assert "<" not in data and "\u2028" not in data
    assert HOSTILE_TEXT.split(" end ")[0].replace("\ud800", "\ufffd").replace(
        "\x00", "\u2400") in json.loads(data)["runs"][0]["reason"]
    junit = (pytester.path / "junit.xml").read_text()
    assert "\x1b" not in junit and "\x00" not in junit


# -- 7. hangs and memory: FIFOs, devices, sparse files, unparseable code --------------------

def test_fifos_devices_and_unparseable_tests_are_the_agents_problem(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    nested = "x = " + "-" * 100_000 + "1"  # ast.parse: MemoryError
    script = (f"{SOLVE}; mkfifo tests/test_pipe.py; ln -s /dev/zero tests/test_zero.py; "
              f"printf '{nested}\\n' > tests/test_deep.py; "
              "ln -s tests/test_pipe.py expected.txt")
    bench.write("calc", oracle_script=script, workflow_phases=[
        {"phase_name": "implementation", "prompt": "implement add",
         "expected_artifacts": ["calc.py"]}],
        success_criteria={"required_features": ["expected.txt"]})
    required(pytester, timeout=120).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "criteria")
    assert result["metrics"]["quality"]["tests_written"] == 0
    assert [c["detail"] for c in result["criteria"]] == ["no file matches"]


def test_a_huge_sparse_file_is_a_clear_agent_failure_not_minutes_of_checkpoint(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    phases = [{"phase_name": "one", "prompt": "a"}, {"phase_name": "two", "prompt": "b"}]
    bench.write("calc", phases=phases, oracle_files={},
                phase_scripts={"one": f"{SOLVE}; truncate -s 4G big.bin", "two": "true"})
    required(pytester, timeout=120).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent")
    assert re.search(r"more than \d+ MiB of files after phase 'one'.*checkpoint cap",
                     result["reason"])
    assert [p["status"] for p in result["phases"]] == ["completed", "skipped"]
