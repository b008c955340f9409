"""Hidden tests that never import the solution: the forger agent (a wrong solution with the
known in-process forging tricks) passes a benchmark whose hidden tests import it, and fails
one graded out of process; `gao-dev check` says which is which."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from benchmark_files import BenchmarkWriter, gao_dev, result_named

from pytest_gaobench.sandbox.isolation import find_bwrap

IMPORTING_TESTS = """\
from calc import add


def test_add():
    assert add(2, 3) == 5
"""
OUT_OF_PROCESS_TESTS = """\
import pytest


def test_add(solution):
    add = solution("calc").add
    assert add(2, 3) == 5 and add(-2, -3) == -5


def test_values_and_exceptions_cross(solution):
    calc = solution("calc")
    assert calc.pair(1, "x") == (1, "x")
    assert calc.NAME.value() == "calc"
    with pytest.raises(TypeError):
        calc.add(1, "x")


def test_commands_run_where_the_solution_runs(solution):
    done = solution.run(["python", "-c", "import calc; print(calc.add(40, 2))"])
    assert (done.returncode, done.stdout.strip()) == (0, "42")
"""
HONEST = ("NAME = 'calc'\n\n\ndef add(a, b):\n    return a + b\n\n\n"
          "def pair(a, b):\n    return (a, b)\n")


def write_hidden(bench: BenchmarkWriter, name: str, tests: str,
                 **criteria: Any) -> None:
    hidden = bench.root / "hidden" / name
    hidden.mkdir(parents=True)
    (hidden / "test_hidden.py").write_text(tests)
    bench.write(name, oracle_files={"calc.py": HONEST},
                success_criteria={"grading_tests": f"hidden/{name}", **criteria})


def criterion(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in result["criteria"] if c["name"] == name)


def test_the_forger_passes_importing_tests_and_fails_out_of_process_ones(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    write_hidden(bench, "importing", IMPORTING_TESTS)
    write_hidden(bench, "isolated", OUT_OF_PROCESS_TESTS, grading_mode="out_of_process")
    pytester.runpytest("--gaobench-agent=oracle").assert_outcomes(passed=2)
    assert criterion(result_named(pytester.path, "isolated"),
                     "grading_tests")["detail"].endswith("3 passed, 0 failed, 0 skipped")
    for result in (pytester.path / ".gaobench").iterdir():
        if result.name == "runs":
            for run in result.iterdir():
                (run / "result.json").unlink()
    pytester.runpytest("--gaobench-agent=forger").assert_outcomes(passed=1, failed=1)
    # The weakness out-of-process grading closes: in process, the wrong solution wins.
    assert result_named(pytester.path, "importing")["status"] == "completed"
    isolated = result_named(pytester.path, "isolated")
    assert (isolated["status"], isolated["failure_kind"]) == ("failed", "criteria")
    hidden = criterion(isolated, "grading_tests")
    assert not hidden["passed"]
    assert any("NotImplementedError" in failure for failure in hidden["failing_tests"])


def test_gao_dev_check_names_the_forgeable_benchmark(pytester: pytest.Pytester,
                                                     bench: BenchmarkWriter) -> None:
    write_hidden(bench, "importing", IMPORTING_TESTS)
    write_hidden(bench, "isolated", OUT_OF_PROCESS_TESTS, grading_mode="out_of_process")
    checked = gao_dev(pytester.path, "check", ".")
    lines = checked.stdout.splitlines()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert any(line.startswith("warning  importing: forgeable in process") for line in lines)
    assert not any("isolated: forgeable" in line for line in lines)
    assert any(line.startswith("valid    isolated: ") for line in lines)
    strict = gao_dev(pytester.path, "check", "--strict", ".")
    assert strict.returncode == 1
    assert any(line.startswith("INVALID  importing: forgeable in process")
               for line in strict.stdout.splitlines())


BWRAP, WHY_NOT = find_bwrap()
REPORT_REWRITER = """\
import subprocess

def add(a, b):
    return a - b

# A daemon that keeps writing a passing JUnit report wherever the grader might keep one.
subprocess.Popen(["sh", "-c", "for i in $(seq 600); do "
                  "for d in ../grading-*/hidden /tmp/*/grading-*/hidden; do "
                  "[ -d $d ] && echo '<testsuites><testsuite tests=\\"1\\" failures=\\"0\\" "
                  "errors=\\"0\\" skipped=\\"0\\"><testcase name=\\"x\\"/></testsuite>"
                  "</testsuites>' > $d/tests.xml; done; sleep 0.05; done"],
                 start_new_session=True)
"""


@pytest.mark.skipif(BWRAP is None, reason=f"no working bubblewrap: {WHY_NOT}")
def test_the_solution_cannot_reach_the_graders_reports(pytester: pytest.Pytester,
                                                        bench: BenchmarkWriter) -> None:
    hidden = bench.root / "hidden" / "calc"
    hidden.mkdir(parents=True)
    (hidden / "test_hidden.py").write_text(
        "def test_add(solution):\n    assert solution('calc').add(2, 3) == 5\n")
    bench.write("calc", oracle_files={"calc.py": REPORT_REWRITER}, success_criteria={
        "grading_tests": "hidden/calc", "grading_mode": "out_of_process"})
    pytester.runpytest("--gaobench-isolation=required").assert_outcomes(failed=1)
    hidden_run = criterion(result_named(pytester.path, "calc"), "grading_tests")
    assert not hidden_run["passed"]
    assert hidden_run["failing_tests"][0].startswith("test_hidden.py::test_add")


def test_what_the_solution_prints_is_kept_in_the_hosts_log(pytester: pytest.Pytester,
                                                          bench: BenchmarkWriter) -> None:
    """The host's stderr (and the solution's prints) is kept, bounded, in the run folder:
    a solution that floods it neither blocks the host nor fills the disk."""
    write_hidden(bench, "isolated", OUT_OF_PROCESS_TESTS, grading_mode="out_of_process")
    loud = HONEST + ("\nimport sys\nprint('hello from the solution', file=sys.stderr)\n"
                     "sys.stderr.write('x' * 3_000_000)\nsys.stderr.flush()\n")
    (bench.root / "oracles" / "isolated" / "files" / "calc.py").write_text(loud)
    pytester.runpytest_subprocess("--gaobench-agent=oracle", "--gaobench-keep",
                                  "-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = result_named(pytester.path, "isolated")
    log = (pytester.path / ".gaobench" / "runs" / result["run_id"]
           / result["metadata"]["grading_dir"] / "hidden" / "solution-host.log")
    kept = log.read_bytes()
    assert b"hello from the solution" in kept
    assert len(kept) < 300 * 1024 and kept.endswith(b"[... the rest was not kept]\n")


def test_a_host_that_cannot_start_leaves_no_folder_behind(tmp_path: Path) -> None:
    import tempfile

    from pytest_gaobench.grading.out_of_process import hosted_solution
    from pytest_gaobench.sandbox.sandbox import Sandbox

    before = set(Path(tempfile.gettempdir()).glob("gaobench-solution-*"))
    gone = Sandbox("run", tmp_path, tmp_path / "no-such-workspace")
    with pytest.raises(OSError), hosted_solution(gone, tmp_path / "host.log"):
        pass
    assert set(Path(tempfile.gettempdir()).glob("gaobench-solution-*")) == before
