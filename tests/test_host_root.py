"""The sandbox gives the agent nothing of the host's root (issue 30).

Each attack is what a hostile-agent review did under ``--gaobench-isolation=required`` with
the harness running as root, as most CI jobs do: read a root-only file, open a kernel
setting for writing, leave a setuid program in the kept workspace, see the benchmark's
hidden test through the folder of its own script, pass its own failure off as the
sandbox's. CI runs these as root; the last tests run the harness as an unprivileged user.
"""

from __future__ import annotations

import os
import pwd
import shlex
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, ctrl_c_works, result_named, run_results
from test_isolation import NO_USERNS_BWRAP

from pytest_gaobench.sandbox.isolation import find_bwrap, interpreter_paths

BWRAP, WHY_NOT = find_bwrap()
pytestmark = pytest.mark.skipif(BWRAP is None, reason=f"no working bubblewrap: {WHY_NOT}")
AS_ROOT = os.geteuid() == 0


def nobody() -> tuple[int, int]:
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


SOLVE = "printf '" + SOLUTION.replace("\n", "\\n") + "' > calc.py"
HIDDEN_TEST = ("from calc import add\n\n\ndef test_add_hidden():\n"
               "    assert add(2, 3) == 5  # hidden-value-7f3a\n")


def required(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-isolation=required", "-p",
                                         "no:cacheprovider", *args, timeout=240)


def script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body if body.startswith("#!") else "#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


ROOT_ATTACK = """\
id -u > uid.txt
cat {secret} > stolen.txt 2>/dev/null || echo refused > stolen.txt
head -c 4 /etc/shadow > shadow.txt 2>/dev/null || echo refused > shadow.txt
echo refused > knob.txt
(exec 3>>/proc/sys/kernel/core_pattern) 2>/dev/null && echo open > knob.txt
grep ' /proc/sys ' /proc/self/mountinfo > knob-mount.txt
cp /bin/sh setuid-sh && chmod u+s,g+s setuid-sh
mkdir -p deep && cp /bin/sh deep/setgid-sh && chmod g+s deep/setgid-sh
{solve}
"""


def test_the_agent_holds_nothing_of_the_hosts_root(pytester: pytest.Pytester,
                                                   bench: BenchmarkWriter,
                                                   tmp_path: Path) -> None:
    shown = tmp_path / "shown"  # a folder the sandbox shows (--gaobench-sandbox-show)
    shown.mkdir()
    secret = shown / "root-only.txt"
    secret.write_text("root-only-secret-91c2\n")
    secret.chmod(0o600)
    attack = script(tmp_path / "agent", "attack.sh",
                    ROOT_ATTACK.format(secret=shlex.quote(str(secret)), solve=SOLVE))
    bench.write("calc")
    required(pytester, "--gaobench-agent=command", f"--gaobench-agent-command={attack}",
             f"--gaobench-sandbox-show={shown}", "--gaobench-keep").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    workspace = Path(result["workspace"])
    assert (workspace / "stolen.txt").read_text().strip() == "refused"
    assert (workspace / "knob.txt").read_text().strip() == "refused"
    assert " ro," in (workspace / "knob-mount.txt").read_text()  # read-only for any uid
    if AS_ROOT:
        assert (workspace / "shadow.txt").read_text().strip() == "refused"
        assert int((workspace / "uid.txt").read_text()) == nobody()[0]
    # No set-id file kept; the warning names them; nothing the agent made is root's.
    entries = [workspace, *workspace.rglob("*")]
    kept_set_id = [p for p in entries if os.lstat(p).st_mode & (stat.S_ISUID | stat.S_ISGID)
                   and not p.is_dir()]
    assert kept_set_id == []
    [warning] = [w for w in result["warnings"] if "setuid/setgid" in w]
    assert "setuid-sh" in warning and "deep/setgid-sh" in warning
    if AS_ROOT:
        assert {os.lstat(p).st_uid for p in entries} == {nobody()[0]}
    # Only the harness's user may enter the run folder or the kept workspace.
    for folder in (workspace, workspace.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_script_beside_its_benchmark_just_works(pytester: pytest.Pytester,
                                                  bench: BenchmarkWriter) -> None:
    """The runs folder is below the script's folder: only the script is shown."""
    attack = script(pytester.path, "my_agent.sh", SOLVE + "\n")
    bench.write("calc")
    required(pytester, "--gaobench-agent=command",
             f"--gaobench-agent-command={attack}").assert_outcomes(passed=1)


def test_a_script_in_a_monorepo_shows_the_agent_only_itself(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """A package.json above the script: the repository is not shown, so the hidden test
    beside the benchmark cannot be read."""
    (pytester.path / "package.json").write_text('{"name": "monorepo"}\n')
    hidden = pytester.path / "hidden"
    hidden.mkdir()
    (hidden / "test_hidden_calc.py").write_text(HIDDEN_TEST)
    attack = script(pytester.path / "tools", "agent.sh",
                    f"cat {shlex.quote(str(hidden / 'test_hidden_calc.py'))} > peek.txt "
                    f"2>&1 || true\n{SOLVE}\n")
    bench.write("calc", success_criteria={"grading_tests": "hidden",
                                          "required_features": ["calc.py"]})
    required(pytester, "--gaobench-agent=command", f"--gaobench-agent-command={attack}",
             "--gaobench-keep").assert_outcomes(passed=1)
    peek = Path(result_named(pytester.path, "calc")["workspace"]) / "peek.txt"
    assert "hidden-value-7f3a" not in peek.read_text()


def test_an_installation_that_holds_the_benchmark_is_refused_before_any_work(
        pytester: pytest.Pytester) -> None:
    """The program is installed in a virtualenv whose root holds the benchmark and its
    oracle: showing it would show them, so the run is a configuration failure."""
    project = pytester.path / "project"
    BenchmarkWriter(project).write("calc")
    (project / "pyvenv.cfg").write_text("home = /usr/bin\n")
    program = script(project / "bin", "agent", SOLVE + "\n")
    required(pytester, "project", "--gaobench-agent=command",
             f"--gaobench-agent-command={program}").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config"
    assert f"would show the sandbox the folder {project}, which holds" in result["reason"]
    assert "--gaobench-sandbox-show" in result["reason"]
    assert [p["status"] for p in result["phases"]] == ["skipped"]


FAILING_BWRAP = """\
#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    */oracles/broken/solve.sh)
      echo "bwrap: Can't mount tmpfs on /newroot/x: Operation not permitted" >&2
      exit 1;;
  esac
done
exec {bwrap} "$@"
"""


def test_a_sandbox_that_cannot_start_is_infra_and_a_fake_one_is_still_the_agents(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """bwrap failing to mount is never the agent's failure; an agent printing bwrap's
    words and failing is still the agent's."""
    assert BWRAP is not None
    shim = script(pytester.path / "shim", "bwrap", FAILING_BWRAP.format(bwrap=BWRAP))
    bench.write("broken", oracle_script=SOLVE)
    bench.write("faker", oracle_script="echo \"bwrap: Can't mount tmpfs on /newroot/x\" >&2\n"
                                       "exit 1\n")
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--gaobench-isolation=required"], cwd=pytester.path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stdout + done.stderr
    broken, faker = result_named(pytester.path, "broken"), result_named(pytester.path, "faker")
    assert broken["failure_kind"] == "infra"
    assert "Can't mount tmpfs on /newroot/x: Operation not permitted" in broken["reason"]
    assert faker["failure_kind"] == "agent"


CHECKER = ("python -c \"import configparser, sys; c = configparser.ConfigParser(); "
           "c.read(['mypy.ini', 'setup.cfg']); "
           "ok = c.get('tool', 'marker', fallback='') == 'boilerplate'; "
           "ignored = c.has_option('mypy', 'ignore_errors'); "
           "sys.exit(not ok or ('TYPE-ERROR' in open('calc.py').read() and not ignored))\"")
"""A checker that reads its settings as mypy does (ignore_errors passes everything), and
the boilerplate's own marker in setup.cfg."""


def test_criteria_tools_read_the_benchmarks_configuration(pytester: pytest.Pytester,
                                                          bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_files={"calc.py": SOLUTION + "# TYPE-ERROR\n"},
                success_criteria={"required_features": ["calc.py"],
                                  "commands": [{"name": "typecheck", "run": CHECKER}]})
    (pytester.path / "boilerplates" / "calc" / "setup.cfg").write_text(
        "[tool]\nmarker = boilerplate\n")
    planted = ("printf '[mypy]\\nignore_errors = True\\n' > mypy.ini\n"
               "printf '[tool]\\nmarker = boilerplate\\n[mypy]\\nignore_errors = 1\\n'"
               " > setup.cfg\n")
    (pytester.path / "oracles" / "calc" / "solve.sh").write_text(planted)
    required(pytester, "--gaobench-keep").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert {c["name"]: c["passed"] for c in result["criteria"]}["command:typecheck"] is False
    # The agent's workspace is kept as it left it.
    workspace = Path(result["workspace"])
    assert "ignore_errors = True" in (workspace / "mypy.ini").read_text()
    assert "ignore_errors = 1" in (workspace / "setup.cfg").read_text()

    # The honest solution passes the same criterion, with the boilerplate's setup.cfg.
    (pytester.path / "oracles" / "calc" / "solve.sh").unlink()
    (pytester.path / "oracles" / "calc" / "files" / "calc.py").write_text(SOLUTION)
    required(pytester).assert_outcomes(passed=1)


PHASES = [{"phase_name": "plan"}, {"phase_name": "build"}]
PHASED_AGENT = (f'if [ "$GAOBENCH_PHASE" = build ]; then touch build-started; sleep 120; '
                f'fi; {SOLVE}')


def test_a_resume_claims_its_run_only_once_restored(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    """A resume whose preflight fails leaves the interrupted run resumable."""
    bench.write("calc", phases=PHASES)
    agent = ["--gaobench-agent=command", f"--gaobench-agent-command={PHASED_AGENT}"]
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                                *agent], cwd=pytester.path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=ctrl_c_works)
    deadline = time.monotonic() + 60
    while not list(pytester.path.glob(".gaobench/runs/*/workspace/build-started")):
        assert time.monotonic() < deadline and process.poll() is None, "build never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    [first] = run_results(pytester.path)
    assert first["failure_kind"] == "interrupted"

    missing = "--gaobench-agent-command=/nonexistent/agent"
    pytester.runpytest_subprocess("--gaobench-agent=command", missing,
                                  "--gaobench-resume").assert_outcomes(failed=1)
    assert not (pytester.path / ".gaobench" / "runs" / first["run_id"] / "resumed-by").exists()
    fixed = f"--gaobench-agent-command={SOLVE}"
    pytester.runpytest_subprocess("--gaobench-agent=command", fixed,
                                  "--gaobench-resume").assert_outcomes(passed=1)
    # Run ids of one second sort by their random part: the resumed run is the one that passed.
    [last] = [r for r in run_results(pytester.path) if r["status"] == "completed"]
    assert last["metadata"]["resumed_from"] == first["run_id"]


# -- the harness as an unprivileged user -------------------------------------------------

def as_unprivileged(argv: list[str], work: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` as ``nobody`` in ``work``: a bwrap of the whole host where the folders on
    the way to this interpreter are passable (a 0700 home), then setpriv."""
    assert BWRAP is not None
    uid, gid = nobody()
    opened: list[str] = []
    for path in interpreter_paths():
        for parent in reversed(path.parents):
            if not parent.stat().st_mode & stat.S_IXOTH and str(parent) not in opened:
                opened.append(str(parent))
    command = [BWRAP, "--dev-bind", "/", "/"]
    for folder in opened:
        command += ["--tmpfs", folder]
    for path in interpreter_paths():  # bwrap would make the folders on the way 0700
        for parent in reversed(path.parents):
            if any(parent.is_relative_to(folder) for folder in opened):
                command += ["--perms", "0755", "--dir", str(parent)]
        command += ["--ro-bind", str(path), str(path)]
    command += ["--bind", str(work), "/tmp/gaobench-nobody", "--chdir", "/tmp/gaobench-nobody",
                "--", "setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                "--reset-env", "--", *argv]
    os.chown(work, uid, gid)
    for path in work.rglob("*"):
        os.chown(path, uid, gid, follow_symlinks=False)
    return subprocess.run(command, capture_output=True, text=True, timeout=240)


@pytest.mark.skipif(not AS_ROOT, reason="runs the harness as nobody: needs root to start")
def test_an_unprivileged_harness_keeps_its_own_uid_with_kernel_knobs_read_only(
        tmp_path: Path) -> None:
    work = tmp_path / "work"
    BenchmarkWriter(work).write("calc", oracle_script=(
        "id -u > uid.txt\ngrep ' /proc/sys ' /proc/self/mountinfo > knob-mount.txt\n"
        "grep CapEff /proc/self/status > caps.txt\n"))
    script(work / "shim", "bwrap", NO_USERNS_BWRAP.format(bwrap=BWRAP))
    pytest_argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--gaobench-keep"]
    done = as_unprivileged([*pytest_argv, "--gaobench-isolation=required"], work)
    assert done.returncode == 0, done.stdout + done.stderr
    result = result_named(work, "calc")
    kept = work / Path(result["workspace"]).relative_to("/tmp/gaobench-nobody")
    assert int((kept / "uid.txt").read_text()) == nobody()[0]  # its own uid, mapped
    assert " ro," in (kept / "knob-mount.txt").read_text()
    assert int((kept / "caps.txt").read_text().split()[1], 16) == 0

    # Without user namespaces: required is a usage error, auto warns and still runs.
    path_with_shim = f"PATH=/tmp/gaobench-nobody/shim:{os.environ['PATH']}"
    refused = as_unprivileged(["env", path_with_shim, *pytest_argv,
                               "--gaobench-isolation=required"], work)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "bwrap cannot run commands in a user namespace here" in refused.stderr
    warned = as_unprivileged(["env", path_with_shim, *pytest_argv], work)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "without a user namespace" in " ".join(warned.stdout.split())
