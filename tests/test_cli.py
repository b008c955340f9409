"""gao-dev sandbox run: the same runs through the CLI, with documented exit codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, gao_dev, result_named, run_results


def test_completed_run_exits_0(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    path = bench.write("calc")
    done = gao_dev(pytester.path, "sandbox", "run", str(path), "--sandbox-root", "out")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calc" in done.stdout and "COMPLETED" in done.stdout
    assert len(list((pytester.path / "out" / "runs").glob("*/result.json"))) == 1


def test_failed_benchmark_exits_1(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    path = bench.write("calc", oracle_files={})
    done = gao_dev(pytester.path, "sandbox", "run", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert [r["status"] for r in run_results(pytester.path)] == ["failed"]


def test_invalid_benchmark_file_exits_6(pytester: pytest.Pytester,
                                        bench: BenchmarkWriter) -> None:
    good = bench.write("calc")
    bad = bench.write_raw("bench_bad.yaml", "name: bad\nworkflow_phases: []\n")
    done = gao_dev(pytester.path, "sandbox", "run", str(good), str(bad))
    assert done.returncode == 6, done.stdout + done.stderr
    assert "workflow_phases: List should have at least 1 item" in done.stdout
    statuses = sorted(r["status"] for r in run_results(pytester.path))
    assert statuses == ["completed", "failed"]  # the good one still ran


def test_keyword_selecting_nothing_exits_5(pytester: pytest.Pytester,
                                           bench: BenchmarkWriter) -> None:
    bench.write("calc")
    done = gao_dev(pytester.path, "sandbox", "run", ".", "-k", "nothing-matches")
    assert done.returncode == 5


def test_unknown_agent_exits_4(pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    done = gao_dev(pytester.path, "sandbox", "run", str(bench.write("calc")), "--agent", "nope")
    assert done.returncode == 4
    assert "unknown agent 'nope'" in done.stderr


def test_a_path_option_written_with_a_space_is_refused_when_it_moves_rootdir(
        pytester: pytest.Pytester, bench: BenchmarkWriter,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    bench.write("calc")
    outside = tmp_path_factory.mktemp("elsewhere") / "report.html"
    outside.write_text("an earlier report\n")
    refused = pytester.runpytest_subprocess("--gaobench-html", str(outside))
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines([f"*write it as one word: --gaobench-html={outside}*"])
    assert not (outside.parent / ".gaobench").exists()
    pytester.runpytest(f"--gaobench-html={outside}").assert_outcomes(passed=1)
    assert "calc" in outside.read_text()
    inside = pytester.path / "report.html"
    inside.write_text("")
    pytester.runpytest("--gaobench-html", str(inside)).assert_outcomes(passed=1)


def test_check_finds_benchmarks_that_measure_nothing_or_cannot_be_solved(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("good")
    bench.write("empty", success_criteria={})  # doing nothing passes it
    bench.write("unsolvable", oracle_files={})  # the reference solution fails it
    checked = gao_dev(pytester.path, "check", ".")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    # Graded only by the agent's own tests, which import its code: the forger passes it.
    assert "valid    good: nop failed (criteria), oracle completed, forger completed" in lines
    assert any(line.startswith("warning  good: forgeable in process")
               and line.endswith("grade it with grading_mode: out_of_process") for line in lines)
    assert ("INVALID  empty: the nop agent passed it: the benchmark measures nothing "
            "[nop completed, oracle completed, forger completed]") in lines
    # The run's own reason and all three verdicts, never the report's first line.
    [unsolvable] = [line for line in lines if line.startswith("INVALID  unsolvable:")]
    assert unsolvable.startswith("INVALID  unsolvable: the oracle did not pass it: failed "
                                 "(criteria): success criteria not met: ")
    assert unsolvable.endswith("[nop failed (criteria), oracle failed (criteria), "
                               "forger completed]") and "[gw" not in unsolvable
    assert lines[-1] == "1 valid, 2 invalid"
    assert not (pytester.path / ".gaobench").exists()  # the check's runs are thrown away
    good_only = gao_dev(pytester.path, "check", "bench_good.yaml")
    assert good_only.returncode == 0 and good_only.stdout.endswith("1 valid, 0 invalid\n")


def test_usage_errors_exit_4_and_version_is_shown(pytester: pytest.Pytester) -> None:
    for args in (["sandbox", "run"], ["results", "no-such-command"], ["--no-such-option"]):
        wrong = gao_dev(pytester.path, *args)
        assert wrong.returncode == 4, (args, wrong.stderr)
        assert "usage: gao-dev" in wrong.stderr
    version = gao_dev(pytester.path, "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("gao-dev (pytest-gaobench) 0.")


def test_check_says_why_for_a_broken_file_twins_repeats_nothing_matched_and_a_stop(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """An invalid YAML says its problem; a second file with a name already used is named
    by its file; repeats are checked; -k that matches nothing is explained; --keep keeps
    the runs."""
    bench.write("good", repeats=2)
    bench.write("good", file_name="bench_twin.yaml")
    (pytester.path / "bench_broken.yaml").write_text("name: broken\nworkflow_phases: [\n")
    checked = gao_dev(pytester.path, "check", ".", "-n", "0", "--keep", "kept")
    lines = checked.stdout.splitlines()
    assert any(line.startswith("INVALID  bench_broken.yaml: invalid benchmark file: ")
               and "invalid YAML" in line for line in lines), lines
    assert "valid    good (bench_good.yaml): nop failed (criteria), oracle completed, " \
           "forger completed" in lines, lines  # its file named: another file has its name
    assert any(line.startswith("INVALID  bench_twin.yaml: invalid benchmark file: ")
               and "already used by" in line for line in lines), lines
    assert list((pytester.path / "kept" / "runs").iterdir())  # the runs are there to open
    none = gao_dev(pytester.path, "check", "bench_good.yaml", "-n", "0", "-k", "no_such")
    assert none.returncode == 5
    assert "no benchmark to check (exit code 5)" in none.stdout
    assert "-k/-m matched none" in none.stdout
    for name in ("a", "b"):  # two test files of one name: pytest stops at collection
        (pytester.path / name).mkdir()
        (pytester.path / name / "test_same.py").write_text("def test_x():\n    pass\n")
    stopped = gao_dev(pytester.path, "check", ".", "-n", "0")
    assert stopped.returncode == 2
    assert "the check session ended with exit code 2\n  collecting b/test_same.py: import " \
           "file mismatch" in stopped.stdout, stopped.stdout


def test_check_warns_when_coverage_is_counted_in_the_agents_own_process(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    """A conftest of the agent's can add every line to the running coverage: the figure
    is labelled where it comes from, and check recommends the hidden tests' coverage."""
    bench.write("own", success_criteria={"tests_must_pass": True, "min_test_coverage": 50})
    checked = gao_dev(pytester.path, "check", "bench_own.yaml", "-n", "0")
    assert any(line.startswith("warning  own: coverage forgeable in process")
               and "coverage_from: grading_tests" in line
               for line in checked.stdout.splitlines()), checked.stdout
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    [coverage] = [c for c in result_named(pytester.path, "own")["criteria"]
                  if c["name"] == "min_test_coverage"]
    assert "in their own process" in coverage["detail"]


def test_the_own_tests_verdict_says_where_it_was_counted(pytester: pytest.Pytester,
                                                        bench: BenchmarkWriter) -> None:
    bench.write("own")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    [tests] = [c for c in result_named(pytester.path, "own")["criteria"]
               if c["name"] == "tests_must_pass"]
    assert tests["detail"].startswith("python -m pytest (in the agent's own test process): ")


def test_with_repeats_the_worst_run_of_each_agent_decides() -> None:
    """For validity the worst run counts: an oracle run that failed, a nop or forger run
    that passed; the last run does not hide them."""
    from pytest_gaobench.cli.check import Verdict, _worse

    passed, failed = Verdict("completed", None, ""), Verdict("failed", "criteria", "why")
    assert _worse("oracle", failed, passed) is failed
    assert _worse("oracle", passed, failed) is failed
    assert _worse("nop", passed, failed) is passed
    assert _worse("forger", failed, passed) is passed
    assert _worse("nop", None, failed) is failed


def test_sandbox_run_takes_the_command_agents_template(pytester: pytest.Pytester,
                                                      bench: BenchmarkWriter) -> None:
    from test_command_agent import WRITE

    bench.write("calc")
    done = gao_dev(pytester.path, "sandbox", "run", "bench_calc.yaml", "--agent", "command",
                   "--agent-command", WRITE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert result_named(pytester.path, "calc")["agent"] == "command"
    none = gao_dev(pytester.path, "sandbox", "run", "bench_calc.yaml", "--agent", "command")
    assert "gao-dev sandbox run: --agent-command" in none.stdout + none.stderr


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`gao-dev results list | head`: the pipe closes under gao-dev (here before it writes
    a line, as when head has its lines already), which ends quietly."""
    import subprocess
    import sys

    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.status import BenchmarkStatus
    from pytest_gaobench.results.store import ResultStore

    db = tmp_path / "results.db"
    store = ResultStore(f"sqlite:///{db}")
    for n in range(30):
        store.save(BenchmarkResult(run_id=f"20260101-{n:06d}", status=BenchmarkStatus.COMPLETED,
                                   benchmark=BenchmarkInfo(name=f"bench-{n % 4}")))
    store.close()
    read, write = os.pipe()
    os.close(read)  # the reader is gone before gao-dev writes
    listing = subprocess.run([sys.executable, "-m", "pytest_gaobench.cli", "results",
                              f"--db={db}", "list"], stdout=write, stderr=subprocess.PIPE,
                             cwd=tmp_path, check=False, timeout=60)
    os.close(write)
    assert b"Traceback" not in listing.stderr and b"BrokenPipeError" not in listing.stderr, \
        listing.stderr


def test_report_says_where_it_wrote_the_page(pytester: pytest.Pytester,
                                             bench: BenchmarkWriter) -> None:
    bench.write("calc")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    done = gao_dev(pytester.path, "report")
    assert f"wrote {pytester.path / 'report.html'} (1 runs)" in done.stdout, done.stdout
