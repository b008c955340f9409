"""An agent installed the usual ways runs in the sandbox, and one that cannot is config.

Inside the sandbox only the system folders, this interpreter and the workspace are there;
the harness shows an agent's installation read-only (its virtualenv, a script itself,
what --gaobench-sandbox-show names) and says before any work when the program is missing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, result_named
from test_isolation import needs_bwrap

from pytest_gaobench.agents.cli.installation import shebang_interpreter

REQUIRED = "--gaobench-isolation=required"


def command_agent(pytester: pytest.Pytester, command: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--gaobench-agent=command", "-p", "no:cacheprovider",
                                         f"--gaobench-agent-command={command}", *args)


AGENT_PACKAGE = f'''
import pathlib, sys

def main():
    prompt = pathlib.Path(sys.argv[1]).read_text()
    assert prompt.strip()
    pathlib.Path("calc.py").write_text({SOLUTION!r})
'''


@needs_bwrap
def test_an_agent_in_its_own_virtualenv_runs_isolated(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tmp_path: Path) -> None:
    venv = tmp_path / "agent-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "my_agent").mkdir()
    (site / "my_agent" / "__init__.py").write_text(AGENT_PACKAGE)
    script = venv / "bin" / "my-agent"  # as pip writes a console script
    script.write_text(f"#!{venv}/bin/python\nfrom my_agent import main\nmain()\n")
    script.chmod(0o755)
    bench.write("calc")
    outcome = command_agent(pytester, f"{script} {{prompt_file}}", REQUIRED)
    outcome.assert_outcomes(passed=1)


@needs_bwrap
def test_a_script_outside_the_workspace_sees_its_siblings_only_when_shown(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tmp_path: Path) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "helper.py").write_text(AGENT_PACKAGE)
    (folder / "my_agent.py").write_text("from helper import main\nmain()\n")
    bench.write("calc")
    command = f"python3 {folder / 'my_agent.py'} {{prompt_file}}"
    # Only the script itself is shown: its folder could hold anything (issue 30).
    command_agent(pytester, command, REQUIRED).assert_outcomes(failed=1)
    assert "No module named 'helper'" in result_named(pytester.path, "calc")["reason"]
    command_agent(pytester, command, REQUIRED,
                  f"--gaobench-sandbox-show={folder}").assert_outcomes(passed=1)


@needs_bwrap
def test_sandbox_show_makes_a_folder_visible_read_only(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tmp_path: Path) -> None:
    data = tmp_path / "agent-data"
    data.mkdir()
    (data / "calc.py").write_text(SOLUTION)
    # The folder is named only inside Python code, so only the option can show it.
    code = (f"import shutil; shown = {str(data)!r} + '/calc.py'; "
            f"shutil.copy(shown, 'calc.py')\n"
            f"try: open(shown, 'w').write('tampered')\nexcept OSError: pass")
    copy = f"python3 -c {shlex.quote(code)}"
    bench.write("calc")
    command_agent(pytester, copy, REQUIRED).assert_outcomes(failed=1)  # not there
    outcome = command_agent(pytester, copy, REQUIRED, f"--gaobench-sandbox-show={data}")
    outcome.assert_outcomes(passed=1)
    assert (data / "calc.py").read_text() == SOLUTION  # shown read-only


def test_a_program_that_cannot_be_found_is_a_config_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    command_agent(pytester, "no-such-agent-program {prompt_file}").assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "config"
    assert "'no-such-agent-program' is not found" in result["reason"]
    assert "--gaobench-agent-command" in result["reason"]
    # Refused before any work: no phase ran, each is recorded as skipped.
    assert [(p["name"], p["status"]) for p in result["phases"]] == [
        ("implementation", "skipped")]


def test_a_program_that_is_a_fifo_is_not_opened_for_its_first_line(tmp_path: Path) -> None:
    fifo = tmp_path / "agent"
    os.mkfifo(fifo)
    fifo.chmod(0o755)
    assert shebang_interpreter(fifo) is None  # (opening it for reading would block)
    script = tmp_path / "tool"
    script.write_text("#!/usr/bin/env python3\nprint()\n")
    assert shebang_interpreter(script) == Path(shutil.which("python3") or "").resolve()
