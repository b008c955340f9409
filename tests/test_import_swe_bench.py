"""gao-dev import swe-bench: instances over a git repository made here in tmp_path (cloned
through file://) become benchmarks with a setup step, a hidden test patch applied at
grading and criteria on named tests; they pass check, and what the agent does to the
tests, their fixtures and their configuration changes nothing."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from benchmark_files import gao_dev, result_named

from pytest_gaobench.grading.named_tests import patched_paths
from pytest_gaobench.importers.swe_bench import node_ids, oracle_script
from pytest_gaobench.sandbox.isolation import find_bwrap

BWRAP, WHY_NOT = find_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"no working bubblewrap: {WHY_NOT}")

FILES = {
    "calc/__init__.py": "from ._version import VERSION\nfrom .ops import add, mul\n",
    "calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n",
    "make_version.py": "open('calc/_version.py', 'w').write('VERSION = 1\\n')\n",
    ".gitignore": "calc/_version.py\n",
    "pytest.ini": "[pytest]\ntestpaths = tests\n",
    "tests/__init__.py": "",
    "tests/conftest.py": ("import pytest\n\n\n@pytest.fixture\ndef pair():\n"
                          "    return (3, 4)\n"),
    "tests/test_ops.py": ("from calc import add\n\n\ndef test_add(pair):\n"
                          "    assert add(*pair) == 7\n"),
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                           *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def diff_of(repo: Path, relative: str, text: str) -> str:
    """The patch ``git diff`` writes for ``relative`` changed to ``text`` (then undone)."""
    (repo / relative).write_text(text)
    patch = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True,
                           check=True).stdout
    git(repo, "checkout", "--", relative)
    return patch


def make_repo(root: Path, files: dict[str, str] = FILES,
              code: str = "calc/ops.py") -> tuple[str, str, str]:
    """acme/calc under ``root``, one commit of ``files``: its id, a test patch that adds
    test_mul to the tests as they are, and the fix of mul in ``code``."""
    repo = root / "acme" / "calc"
    for relative, text in files.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "calc")
    tests = files["tests/test_ops.py"].replace("import add", "import add, mul") + (
        "\n\ndef test_mul(pair):\n    assert mul(*pair) == 12\n")
    head, _, tail = files[code].rpartition("return a + b")  # mul's
    return (git(repo, "rev-parse", "HEAD"), diff_of(repo, "tests/test_ops.py", tests),
            diff_of(repo, code, f"{head}return a * b{tail}"))


def instance(made: tuple[str, str, str], **changes: object) -> dict[str, object]:
    commit, test_patch, fix = made
    record: dict[str, object] = {
        "instance_id": "acme__calc-1", "repo": "acme/calc", "base_commit": commit,
        "problem_statement": "mul(3, 4) returns 7; it should multiply.",
        "test_patch": test_patch, "patch": fix, "version": "0.1",
        "FAIL_TO_PASS": json.dumps(["tests/test_ops.py::test_mul"]),
        "PASS_TO_PASS": ["tests/test_ops.py::test_add"]}
    record.update(changes)
    return record


def import_suite(tmp_path: Path, records: list[dict[str, object]], *extra: str,
                 out_name: str = "suite") -> Path:
    source = tmp_path / "instances.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / out_name
    done = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", str(out),
                   "--repo-url", f"file://{tmp_path}/{{repo}}", "--setup",
                   "python make_version.py", *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_imported_instances_run_and_pass_check(tmp_path: Path) -> None:
    made = make_repo(tmp_path)
    records = [instance(made),
               instance(made, instance_id="django__django-2",
                        FAIL_TO_PASS=["test_mul (calc.tests.OpsTest)"]),
               instance(made, instance_id="acme__calc-3", test_patch="")]
    source = tmp_path / "instances.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")
    out = tmp_path / "suite"
    done = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", str(out),
                   "--repo-url", f"file://{tmp_path}/{{repo}}", "--setup",
                   "python make_version.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped django__django-2: FAIL_TO_PASS: 'test_mul (calc.tests.OpsTest)' is not " \
           "a pytest node id" in done.stdout
    assert "skipped acme__calc-3: instance_id, repo, base_commit, problem_statement and " \
           "test_patch must be non-empty text" in done.stdout
    assert "skipped line 4: " in done.stdout
    assert "wrote 1 benchmarks" in done.stdout

    spec = yaml.safe_load((out / "acme__calc-1" / "bench_acme__calc_1.yaml").read_text())
    assert spec["boilerplate_url"] == f"file://{tmp_path}/acme/calc"
    assert spec["boilerplate_ref"] == made[0]
    assert spec["setup"] == [{"name": "setup-1", "run": "python make_version.py",
                              "network": False}]
    assert spec["success_criteria"]["named_tests"] == {
        "must_pass": ["tests/test_ops.py::test_mul"],
        "must_still_pass": ["tests/test_ops.py::test_add"]}
    assert spec["tags"] == ["swe-bench", "acme__calc"]
    assert "mul(3, 4) returns 7" in spec["initial_prompt"]

    # nop fails (test_mul fails at the base commit), the oracle's fix passes, and the
    # setup step ran before either: calc imports the file it writes.
    checked = gao_dev(tmp_path, "check", str(out), "-n", "0", timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 valid" in checked.stdout, checked.stdout
    # The tests import the solution, and no out-of-process grading exists for named tests.
    assert "forgeable in process" in checked.stdout
    assert "grading_mode: out_of_process" not in checked.stdout
    assert "have no out-of-process grading" in checked.stdout


def test_a_wrong_fix_fails_the_named_tests_with_their_names(pytester: pytest.Pytester
                                                             ) -> None:
    tmp_path = pytester.path
    made = make_repo(tmp_path)
    out = import_suite(tmp_path, [instance(made)])
    wrong = "sed -i 's/return a + b$/return a * b + 1/' calc/ops.py"
    outcome = pytester.runpytest_subprocess(
        str(out), "-p", "no:cacheprovider", "--gaobench-agent", "command",
        "--gaobench-agent-command", wrong, timeout=240)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "acme__calc-1")
    assert (result["status"], result["failure_kind"]) == ("failed", "criteria")
    criteria = {c["name"]: c for c in result["criteria"]}
    must_pass = criteria["named_tests:must_pass"]
    assert not must_pass["passed"]
    assert must_pass["detail"] == ("0 of 1 passed; first not passing: "
                                   "tests/test_ops.py::test_mul (failed)")
    assert must_pass["failing_tests"] == ["tests/test_ops.py::test_mul: failed"]
    # add was broken too (a * b + 1): the test that passed before fails now
    assert criteria["named_tests:must_still_pass"]["detail"].startswith("0 of 1 passed")
    assert result["metrics"]["quality"]["tests_total"] == 2
    assert not list(pytester.path.glob(".gaobench/runs/*/grading-*/base"))  # removed


def test_a_grading_patch_that_does_not_apply_is_infra_never_the_criteria(
        pytester: pytest.Pytester) -> None:
    """Grading that cannot be set up judged nothing: the run fails as infra (not counted
    against the agent), saying why, and records no criterion as failed."""
    made = make_repo(pytester.path)
    out = import_suite(pytester.path, [instance(made)])
    patch = out / "acme__calc-1" / "grading" / "test.patch"
    patch.write_text(patch.read_text().replace("import add", "import subtract"))
    outcome = pytester.runpytest_subprocess(str(out), "-p", "no:cacheprovider", timeout=240)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "acme__calc-1")
    assert (result["status"], result["failure_kind"]) == ("failed", "infra")
    assert result["reason"].startswith("grading: the grading patch test.patch does not apply "
                                       "to the boilerplate: ")
    assert result["criteria"] == []


FORGE = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome, report.longrepr = "passed", None
"""


@needs_bwrap
def test_what_the_agent_does_to_tests_fixtures_and_config_counts_for_nothing(
        pytester: pytest.Pytester) -> None:
    """The agent does not fix mul. Instead it: rewrites the test file so test_mul passes;
    makes a new root conftest.py turn failures into passes; names a forging plugin in
    pytest.ini and in a new tests/pytest.ini; and leaves tests/conftest.py a link to a
    harness file it cannot see, where the harness puts the file back. Each of these alone
    would pass a run of the tests in place as the workspace has them; none passes here,
    and the harness file is not written through the link."""
    tmp_path = pytester.path
    made = make_repo(tmp_path)
    out = import_suite(tmp_path, [instance(made)])
    victim = tmp_path / "victim.txt"
    victim.write_text("harness data\n")
    agent = " && ".join([
        "printf 'def test_mul():\\n    pass\\n\\ndef test_add():\\n    pass\\n' "
        "> tests/test_ops.py",
        f"printf {shlex.quote(FORGE)} > conftest.py",
        f"printf {shlex.quote(FORGE)} > forge.py",
        "printf '[pytest]\\naddopts = -p forge\\ntestpaths = tests\\n' > pytest.ini",
        "printf '[pytest]\\naddopts = -p forge\\n' > tests/pytest.ini",
        f"rm tests/conftest.py && ln -s {shlex.quote(str(victim))} tests/conftest.py",
    ])
    outcome = pytester.runpytest_subprocess(
        str(out), "-p", "no:cacheprovider", "--gaobench-isolation=required",
        "--gaobench-agent", "command", "--gaobench-agent-command", agent, timeout=240)
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "acme__calc-1")
    criteria = {c["name"]: c for c in result["criteria"]}
    assert criteria["named_tests:must_pass"]["detail"] == (
        "0 of 1 passed; first not passing: tests/test_ops.py::test_mul (failed)")
    assert criteria["named_tests:must_still_pass"]["passed"]  # add was never broken
    assert victim.read_text() == "harness data\n"
    assert (tmp_path / "acme" / "calc" / "calc" / "ops.py").read_text() == FILES["calc/ops.py"]


class Listener:
    """A TCP server on the host's loopback that counts connections."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.server.close()


@needs_bwrap
def test_setup_reaches_the_network_only_when_the_benchmark_says_so(
        pytester: pytest.Pytester, listener: Listener) -> None:
    tmp_path = pytester.path
    made = make_repo(tmp_path)
    connect = (f"python -c \"import socket; socket.create_connection(('127.0.0.1', "
               f"{listener.port}), timeout=5).close()\"")
    offline = import_suite(tmp_path, [instance(made)], "--setup", connect)
    online = tmp_path / "online"
    source = tmp_path / "instances.jsonl"
    done = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", str(online),
                   "--repo-url", f"file://{tmp_path}/{{repo}}", "--setup",
                   "python make_version.py", "--setup", connect, "--setup-network")
    assert done.returncode == 0, done.stdout
    spec_file = online / "acme__calc-1" / "bench_acme__calc_1.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["name"] = "acme__calc-online"
    spec_file.write_text(yaml.safe_dump(spec))

    outcome = pytester.runpytest_subprocess(
        str(offline), str(online), "-p", "no:cacheprovider", "--gaobench-isolation=required",
        "--gaobench-agent", "oracle", timeout=240)
    outcome.assert_outcomes(passed=1, failed=1)
    failed = result_named(pytester.path, "acme__calc-1")
    assert failed["failure_kind"] == "infra"
    assert failed["reason"].startswith("setup: setup command 'setup-2' exited with 1")
    assert "Network is unreachable" in failed["reason"] or "refused" in failed["reason"]
    assert [p["status"] for p in failed["phases"]] == ["skipped"]  # the agent never ran
    assert result_named(pytester.path, "acme__calc-online")["status"] == "completed"
    assert listener.connections == 1


def test_instance_fields_are_read_as_the_datasets_store_them(tmp_path: Path) -> None:
    assert node_ids('["a/test_x.py::t[1-2]", "a/test_x.py::t[1-2]"]', "FAIL_TO_PASS") == \
        ["a/test_x.py::t[1-2]"]
    assert node_ids(["tests/test_y.py::C::t"], "PASS_TO_PASS") == ["tests/test_y.py::C::t"]
    for bad in (["../test_x.py::t"], ["/abs/test_x.py::t"], "not json", [1]):
        with pytest.raises(ValueError):
            node_ids(bad, "FAIL_TO_PASS")
    script = oracle_script("line\nGAOBENCH_PATCH_0\n")
    marker = script.splitlines()[2].split("'")[1]
    assert script.endswith(f"GAOBENCH_PATCH_0\n{marker}\n") and marker != "GAOBENCH_PATCH_0"
    made = make_repo(tmp_path)
    assert patched_paths(made[1] + made[2]) == {"tests/test_ops.py", "calc/ops.py"}
    rename = ("diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\n"
              "rename to new.py\n--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-a\n+b\n")
    assert patched_paths(rename) == {"old.py", "new.py"}
    new_file = "--- /dev/null\n+++ b/tests/test_new.py\n@@ -0,0 +1 @@\n+x\n"
    assert patched_paths(new_file) == {"tests/test_new.py"}


def test_each_named_test_is_found_by_its_node_id_in_a_real_junit_report(
        tmp_path: Path) -> None:
    """Node ids as pytest writes them (nested classes, parameters with dots, colons and
    brackets, a folder with a dot) come back from the JUnit report as the same ids."""
    from pytest_gaobench.grading.named_tests import outcomes_by_id
    from pytest_gaobench.grading.test_run import junit_root

    test_file = tmp_path / "tests" / "v1.2" / "test_deep.py"
    test_file.parent.mkdir(parents=True)
    test_file.write_text(
        "import pytest\n\n\nclass TestOuter:\n    class TestInner:\n"
        "        def test_ok(self):\n            pass\n\n"
        "    @pytest.mark.parametrize('x', ['a.b', 'c::d', '[e]'])\n"
        "    def test_param(self, x):\n            assert x != 'c::d'\n\n\n"
        "@pytest.mark.skip\ndef test_skipped():\n    pass\n")
    junit = tmp_path / "report.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "no:gaobench", f"--rootdir={tmp_path}", f"--junitxml={junit}",
                    "-o", "junit_family=xunit1", "tests"], cwd=tmp_path,
                   capture_output=True, check=False)
    collected = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only",
                                "-p", "no:cacheprovider", "-p", "no:gaobench",
                                f"--rootdir={tmp_path}", "tests"], cwd=tmp_path,
                               capture_output=True, text=True, check=False).stdout
    ids = [line for line in collected.splitlines() if "::" in line]
    outcomes = outcomes_by_id(junit_root(junit))
    assert sorted(outcomes) == sorted(ids) and len(ids) == 5
    deep = "tests/v1.2/test_deep.py"
    assert outcomes[f"{deep}::TestOuter::TestInner::test_ok"] == "passed"
    assert outcomes[f"{deep}::TestOuter::test_param[c::d]"] == "failed"
    assert outcomes[f"{deep}::TestOuter::test_param[a.b]"] == "passed"
    assert outcomes[f"{deep}::test_skipped"] == "skipped"


def test_setup_installs_what_the_tests_import_through_python_path(
        pytester: pytest.Pytester) -> None:
    """A setup command installs a dependency into deps/ (a .pth file pointing further in);
    with --python-path deps the tests import it, without it they cannot."""
    files = {**FILES, "calc/ops.py": "from helper import double\n\n\n" + FILES["calc/ops.py"]}
    made = make_repo(pytester.path, files)
    install = ("mkdir -p deps/lib && printf 'def double(x):\\n    return 2 * x\\n' > "
               "deps/lib/helper.py && echo lib > deps/deps.pth")
    with_path = import_suite(pytester.path, [instance(made)], "--setup", install,
                             "--python-path", "deps")
    without = import_suite(pytester.path, [instance(made, instance_id="acme__calc-2")],
                           "--setup", install, out_name="without")
    outcome = pytester.runpytest_subprocess(str(with_path), str(without), "-p",
                                            "no:cacheprovider", timeout=240)
    outcome.assert_outcomes(passed=1, failed=1)
    assert result_named(pytester.path, "acme__calc-1")["status"] == "completed"
    failed = result_named(pytester.path, "acme__calc-2")
    detail = failed["criteria"][0]["detail"]
    assert "not passing: tests/test_ops.py::test_mul" in detail, detail


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path: Path
                                                                      ) -> None:
    """JSON lines end at \\n: U+2028, U+2029 and U+0085 inside a string are text."""
    made = make_repo(tmp_path)
    statement = "mul(3, 4) returns 7;\u2028it should multiply.\u2029Really.\u0085Thanks."
    source = tmp_path / "raw.jsonl"  # the characters themselves, not JSON's escapes of them
    source.write_text(json.dumps(instance(made, problem_statement=statement),
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "suite"
    done = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", str(out),
                   "--repo-url", f"file://{tmp_path}/{{repo}}")
    assert "wrote 1 benchmarks" in done.stdout, done.stdout + done.stderr
    spec = yaml.safe_load((out / "acme__calc-1" / "bench_acme__calc_1.yaml").read_text())
    assert "it should multiply." in spec["initial_prompt"] and "Thanks." in spec["initial_prompt"]


def test_two_instances_that_would_be_one_benchmark_are_refused_saying_which(
        tmp_path: Path) -> None:
    made = make_repo(tmp_path)
    source = tmp_path / "twice.jsonl"
    source.write_text(json.dumps(instance(made, instance_id="acme__calc_1")) + "\n"
                      + json.dumps(instance(made, instance_id="acme__calc.1")) + "\n")
    done = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", "suite",
                   "--repo-url", f"file://{tmp_path}/{{repo}}")
    assert "wrote 1 benchmarks" in done.stdout, done.stdout
    assert ("skipped acme__calc.1: it would be benchmark 'acme__calc_1', as acme__calc_1 "
            "(line 1) is") in done.stdout
    again = gao_dev(tmp_path, "import", "swe-bench", str(source), "-o", "suite",
                    "--repo-url", f"file://{tmp_path}/{{repo}}")
    assert "exists: not replaced (use --force to replace it)" in again.stdout
