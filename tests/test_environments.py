"""Benchmarks in their own Python environment: the interpreter found on the machine, the
packages built once and shared, each run's install steps in its own layer, and the agent and
the grader using them. Each repository is small, made here, and fails without the
environment: an older pytest, a ``test/`` package, a package named like one the harness
has, a Python version the harness is not.

The wheels come from ``.wheelhouse/`` (``python tests/wheelhouse.py``): no test reaches a
package index.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from benchmark_files import gao_dev, result_named, run_results
from test_import_swe_bench import import_suite, instance, make_repo
from wheelhouse import interpreter_for, wheels_for

from pytest_gaobench.sandbox.isolation import find_bwrap

NOSE_STYLE = """\
import sys

from calc import add


class TestAdd:
    def setup(self):  # nose-style: pytest 8 no longer calls it
        self.base = 40

    def test_add(self):
        assert add(self.base, 2) == 42


def test_the_interpreter_is_the_environments():
    assert sys.version_info[:2] == (3, 9)
"""
BROKEN = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"


def offline(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """pip installs from the test wheels only, never from an index."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels_for(version)))
    interpreter_for(version)


def write_benchmark(root: Path, name: str, files: dict[str, str], environment: dict[str, Any],
                    oracle: dict[str, str] | None = None, **spec: Any) -> Path:
    boilerplate = root / name / "boilerplate"
    for relative, text in files.items():
        (boilerplate / relative).parent.mkdir(parents=True, exist_ok=True)
        (boilerplate / relative).write_text(text)
    for relative, text in (oracle or {"calc.py": FIXED}).items():
        target = root / name / "oracle" / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    data: dict[str, Any] = {
        "name": name, "boilerplate_path": "boilerplate", "oracle": "oracle",
        "timeout_seconds": 120, "environment": environment,
        "workflow_phases": [{"phase_name": "develop"}],
        "success_criteria": {"tests_must_pass": True}, **spec}
    path = root / name / f"bench_{name.replace('-', '_')}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--gaobench-keep", *args,
                                         timeout=300)


def events(root: Path, result: dict[str, Any], event: str) -> list[dict[str, Any]]:
    lines = (root / ".gaobench" / "runs" / result["run_id"] / "events.jsonl").read_text()
    return [entry for entry in map(json.loads, lines.splitlines()) if entry["event"] == event]


def criterion(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in result["criteria"] if c["name"] == name)


def test_an_older_pytest_runs_the_repositorys_nose_style_tests(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest 8 (the harness's) dropped nose-style ``setup()``; the environment's pytest 7,
    on Python 3.9, runs it, under the environment's coverage. The nop agent still fails."""
    offline(monkeypatch, "3.9")
    write_benchmark(pytester.path, "nose", {"calc.py": BROKEN, "tests/test_calc.py": NOSE_STYLE},
                    {"python": "3.9", "packages": ["pytest==7.4.4", "coverage==7.6.1"]},
                    success_criteria={"tests_must_pass": True, "min_test_coverage": 90})
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(passed=1)
    passed = result_named(pytester.path, "nose")
    assert passed["metrics"]["quality"]["tests_passed"] == 2
    assert passed["metrics"]["quality"]["coverage_percent"] == 100.0
    [ready] = events(pytester.path, passed, "environment_ready")
    assert ready["python"].startswith("3.9.") and ready["built"] is True

    run(pytester, "--gaobench-agent=nop").assert_outcomes(failed=1)
    failed = next(r for r in run_results(pytester.path) if r["agent"] == "nop")
    tests = criterion(failed, "tests_must_pass")
    assert tests["failing_tests"] == ["tests/test_calc.py::TestAdd::test_add: assert 38 == 42"]
    assert events(pytester.path, failed, "environment_ready")[0]["built"] is False  # shared


OWN_MODULES = {
    "calc.py": BROKEN,
    # The standard library has a `test` package, and the harness has PyYAML installed:
    # in the repository's own environment, its own `test/` and `yaml/` are the ones imported.
    "test/__init__.py": "",
    "test/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef base():\n    return 40\n",
    "test/test_own.py": ("import yaml\nfrom calc import add\n\n\ndef test_add(base):\n"
                         "    assert add(base, 2) == 42\n\n\ndef test_our_yaml():\n"
                         "    assert yaml.SOURCE == 'the repository'\n"),
    "yaml/__init__.py": "SOURCE = 'the repository'\n",
}


def test_the_repositorys_own_modules_win_in_its_environment(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch, "3.9")
    write_benchmark(pytester.path, "own-modules", OWN_MODULES,
                    {"python": "3.9", "packages": ["pytest==7.4.4"]})
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(passed=1)
    result = result_named(pytester.path, "own-modules")
    assert criterion(result, "tests_must_pass")["detail"].endswith(
        "2 passed, 0 failed, 0 skipped")


def test_pytest_4_6_on_python_3_8_is_graded_from_its_junit_report(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The grader needs nothing of ours in the environment: pytest 4.6 writes the report
    the harness reads; without coverage in the environment, coverage is not measured."""
    offline(monkeypatch, "3.8")
    tests = NOSE_STYLE.replace("(3, 9)", "(3, 8)")
    write_benchmark(pytester.path, "old", {"calc.py": BROKEN, "tests/test_calc.py": tests},
                    {"python": "3.8", "packages": ["pytest==4.6.11", "atomicwrites==1.4.0"]},
                    success_criteria={"tests_must_pass": True, "min_test_coverage": 10})
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(failed=1)
    result = result_named(pytester.path, "old")
    assert criterion(result, "tests_must_pass")["passed"]
    assert result["metrics"]["quality"]["tests_passed"] == 2
    assert criterion(result, "min_test_coverage")["detail"].startswith(
        "coverage could not be measured")


PACKAGE = {
    "setup.py": ("from setuptools import setup\nsetup(name='mypkg', version='1.0', "
                 "package_dir={'': 'src'}, packages=['mypkg'])\n"),
    "src/mypkg/__init__.py": BROKEN,
    "tests/test_mypkg.py": ("from mypkg import add\n\n\ndef test_add():\n"
                            "    assert add(40, 2) == 42\n"),
}
AGENT = """\
set +e
{
  python -c 'import sys, mypkg; print(sys.version_info[:2], sys.prefix, mypkg.__file__)'
  echo "$RUN_SETTING"
  # The attack: a .pth in the run's layer, or beside the shared pytest, that deselects the
  # failing test in the grader's pytest.
  forge="import os; os.environ['PYTEST_ADDOPTS'] = '--deselect tests/test_mypkg.py::test_add'"
  echo "$forge" > "$VIRTUAL_ENV/lib/python3.9/site-packages/forge.pth" && echo layer-written
  shared=$(python -c 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))')
  echo "$forge" > "$shared/forge.pth" && echo shared-written
} > seen.txt 2>&1
exit 0
"""


@pytest.mark.skipif(find_bwrap()[0] is None, reason="the layer is read-only under bubblewrap")
def test_install_goes_into_the_runs_layer_which_the_agent_cannot_change(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch, "3.9")
    path = write_benchmark(
        pytester.path, "layered", PACKAGE,
        {"python": "3.9", "packages": ["pytest==7.4.4"],
         "install": ["pip install --no-index --no-deps --no-build-isolation -e ."],
         "env": {"RUN_SETTING": "from the environment"}},
        agent_command="sh {benchmark_dir}/agent.sh")
    (path.parent / "agent.sh").write_text(AGENT)
    run(pytester, "--gaobench-agent=command").assert_outcomes(failed=1)
    result = result_named(pytester.path, "layered")
    workspace = Path(result["workspace"])
    layer = pytester.path / ".gaobench" / "runs" / result["run_id"] / "environment" / "layer"
    seen = (workspace / "seen.txt").read_text()
    assert seen.startswith(f"(3, 9) {layer} {workspace}/src/mypkg/__init__.py"), seen
    assert "from the environment" in seen
    assert seen.count("Read-only file system") == 2, seen
    assert "layer-written" not in seen and "shared-written" not in seen
    # No forged .pth was read: the failing test ran and failed.
    assert criterion(result, "tests_must_pass")["failing_tests"][0].startswith(
        "tests/test_mypkg.py::test_add")
    # The shared part knows nothing of this run's install.
    [shared] = [folder for folder in (pytester.path / ".gaobench" / "cache" / "python").iterdir()
                if folder.is_dir()]
    assert not [p for p in shared.rglob("*") if p.name == "forge.pth" or "mypkg" in p.name]


def test_the_shared_part_is_built_once_for_every_worker(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch, "3.9")
    environment = {"python": "3.9", "packages": ["pytest==7.4.4"]}
    for name in ("first", "second", "third"):
        write_benchmark(pytester.path, name, {"calc.py": BROKEN,
                                              "tests/test_calc.py": NOSE_STYLE}, environment)
    run(pytester, "--gaobench-agent=oracle", "-n", "2").assert_outcomes(passed=3)
    built = [events(pytester.path, result, "environment_ready")[0]["built"]
             for result in run_results(pytester.path)]
    assert sorted(built) == [False, False, True]
    assert len(list((pytester.path / ".gaobench" / "cache" / "python").glob("*.log"))) == 1


def test_named_tests_graded_in_the_environment_an_import_with_specs_gives(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """``gao-dev import swe-bench --specs`` writes each instance's environment, by its
    repository and version; the instance is then valid under ``gao-dev check``."""
    offline(monkeypatch, "3.9")
    made = make_repo(pytester.path)
    specs = pytester.path / "specs.yaml"
    specs.write_text(yaml.safe_dump({
        "acme/calc@0.1": {"python": "3.9", "packages": ["pytest==7.4.4"]},
        "acme/calc": {"python": "3.8"}}))
    out = import_suite(pytester.path, [instance(made)], "--specs", str(specs))
    [spec_file] = out.glob("*/*.yaml")
    assert yaml.safe_load(spec_file.read_text())["environment"] == {
        "python": "3.9", "packages": ["pytest==7.4.4"]}
    done = gao_dev(pytester.path, "check", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 valid" in done.stdout


def test_a_python_not_on_the_machine_is_infra_naming_every_place_looked(
        pytester: pytest.Pytester) -> None:
    write_benchmark(pytester.path, "future", {"calc.py": BROKEN,
                                              "tests/test_calc.py": NOSE_STYLE},
                    {"python": "3.99"})
    write_benchmark(pytester.path, "plain", {"calc.py": BROKEN}, {"python": "3.99"})
    (pytester.path / "plain" / "bench_plain.yaml").write_text(yaml.safe_dump({
        "name": "plain", "boilerplate_path": "boilerplate", "oracle": "oracle",
        "workflow_phases": [{"phase_name": "develop"}],
        "success_criteria": {"required_features": ["calc.py"]}}))
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(passed=1, failed=1)
    result = result_named(pytester.path, "future")
    assert result["failure_kind"] == "infra"
    for place in ("python3.99 on PATH", "pyenv's versions in", "uv's Pythons in",
                  "`pyenv install 3.99`"):
        assert place in result["reason"]


def test_a_failing_package_or_install_step_is_infra_in_pips_own_words(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch, "3.9")
    files = {"calc.py": BROKEN, "tests/test_calc.py": NOSE_STYLE}
    write_benchmark(pytester.path, "no-such-package", files,
                    {"python": "3.9", "packages": ["gaobench-no-such-package==1.0"]})
    write_benchmark(pytester.path, "bad-install", files,
                    {"python": "3.9", "packages": ["pytest==7.4.4"],
                     "install": ["echo 'the build broke' >&2; exit 3"]})
    write_benchmark(pytester.path, "no-pytest", files, {"python": "3.9"})
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(failed=3)
    package = result_named(pytester.path, "no-such-package")
    assert package["failure_kind"] == "infra"
    assert "pip install exited with 1" in package["reason"]
    assert "No matching distribution found for gaobench-no-such-package==1.0" \
        in package["reason"]
    install = result_named(pytester.path, "bad-install")
    assert install["failure_kind"] == "infra"
    assert "exited with 3: the build broke" in install["reason"]
    missing = result_named(pytester.path, "no-pytest")
    assert missing["failure_kind"] == "infra"
    assert "add it to environment.packages" in missing["reason"]


OWN_AGENT = """\
import subprocess
import sys

seen = subprocess.run(["python", "-c", "import sys; print(sys.version_info[:2])"],
                      capture_output=True, text=True, check=True).stdout.strip()
with open("seen.txt", "w") as out:
    out.write(f"agent {tuple(sys.version_info[:2])} tools {seen}\\n")
"""


def test_a_command_agent_runs_in_its_own_python_and_its_tools_in_the_environments(
        pytester: pytest.Pytester) -> None:
    """``python agent.py`` is the harness's Python (the agent's own packages), while the
    commands the agent runs find the environment's ``python`` first."""
    interpreter_for("3.9")
    path = write_benchmark(pytester.path, "own-agent", {"calc.py": BROKEN}, {"python": "3.9"},
                           agent_command="python agent.py",
                           success_criteria={"required_features": ["seen.txt"]})
    (path.parent / "agent.py").write_text(OWN_AGENT)
    run(pytester, "--gaobench-agent=command").assert_outcomes(passed=1)
    seen = (Path(result_named(pytester.path, "own-agent")["workspace"]) / "seen.txt").read_text()
    assert seen == f"agent {tuple(sys.version_info[:2])} tools (3, 9)\n"


REACHES_THE_HOST = """\
import os
import socket


def test_the_data_server_answers():
    with socket.create_connection(("127.0.0.1", int(os.environ["DATA_PORT"])), timeout=10) as s:
        assert s.recv(5) == b"hello"
"""


@pytest.mark.skipif(find_bwrap()[0] is None, reason="without bubblewrap every test has the network")
def test_only_a_benchmark_that_says_test_network_has_it_at_grading(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    offline(monkeypatch, "3.9")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"hello")

    threading.Thread(target=serve, daemon=True).start()
    files = {"calc.py": FIXED, "tests/test_data.py": REACHES_THE_HOST}
    for name, network in (("online", True), ("offline", False)):
        write_benchmark(pytester.path, name, files,
                        {"python": "3.9", "packages": ["pytest==7.4.4"], "test_network": network,
                         "env": {"DATA_PORT": str(port)}})
    try:
        run(pytester, "--gaobench-agent=oracle").assert_outcomes(passed=1, failed=1)
    finally:
        server.close()
    assert result_named(pytester.path, "online")["status"] == "completed"
    failing = criterion(result_named(pytester.path, "offline"), "tests_must_pass")
    assert failing["failing_tests"][0].startswith(
        "tests/test_data.py::test_the_data_server_answers")


def test_the_packages_build_never_sees_the_harnesss_secrets(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package's own build code runs when the shared part is built: the attack is a
    setup.py that writes down the API key it finds."""
    offline(monkeypatch, "3.9")
    secret = "sk-ant-secret-" + "s" * 30
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # (pip: 0 turns isolation off)
    seen = pytester.path / "seen-by-setup.txt"
    leak = pytester.path / "leak"
    leak.mkdir()
    (leak / "setup.py").write_text(
        "import os\nfrom setuptools import setup\n"
        f"open({str(seen)!r}, 'w').write(repr(sorted(os.environ)) + "
        "repr(os.environ.get('ANTHROPIC_API_KEY')))\n"
        "setup(name='leak', version='1.0', py_modules=[])\n")
    write_benchmark(pytester.path, "leaky", {"calc.py": FIXED, "tests/test_calc.py": NOSE_STYLE},
                    {"python": "3.9", "packages": ["pytest==7.4.4", str(leak)]})
    run(pytester, "--gaobench-agent=oracle").assert_outcomes(passed=1)
    said = seen.read_text()
    assert said.endswith("None") and secret not in said
    assert "'PIP_FIND_LINKS'" in said  # pip's own settings do reach it
