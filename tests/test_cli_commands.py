"""gao-dev's everyday commands: results list and compare, sandbox run pass-through,
prune and init."""

from __future__ import annotations

import json

import pytest
from benchmark_files import BenchmarkWriter, gao_dev, result_named, run_results
from fake_anthropic import FakeAnthropic, message, text


def test_results_list_has_a_header_agent_failure_tokens_and_cost(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("good")
    bench.write("bad", oracle_files={})
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)
    listed = gao_dev(pytester.path, "results", "list")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["run", "id", "benchmark", "agent", "model", "status", "failure",
                                "time", "tokens", "cost"]
    bad = next(line for line in lines if " bad " in line).split()
    assert bad[2:5] == ["oracle", "-", "FAILED"] and bad[5] == "criteria"


def test_compare_warns_about_different_benchmarks_and_never_gates_wall_time(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("fast")
    bench.write("slow")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    fast, slow = result_named(pytester.path, "fast"), result_named(pytester.path, "slow")
    done = gao_dev(pytester.path, "results", "compare", fast["run_id"], slow["run_id"])
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith(f"warning: {fast['run_id']} is a run of 'fast'")
    assert any(line.startswith("duration_seconds") and line.endswith("(information)")
               for line in done.stdout.splitlines())


def test_sandbox_run_passes_options_and_anything_after_a_double_dash(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    done = gao_dev(pytester.path, "sandbox", "run", ".", "--repeat", "2", "-v",
                   "--html", "out/page.html", "--", "--junitxml=junit.xml", "-k", "calc")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bench_calc.yaml::calc[1] PASSED" in done.stdout  # -v and --repeat
    assert (pytester.path / "out" / "page.html").exists()
    assert (pytester.path / "junit.xml").exists()


def test_prune_removes_old_workspaces_and_checkpoints_and_keeps_results(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", phases=[{"phase_name": "one"}, {"phase_name": "two"}],
                phase_oracles={"two": {"calc.py": "def add(a, b):\n    return a + b\n"}})
    for _ in range(3):
        pytester.runpytest("-p", "no:cacheprovider", "--gaobench-keep").assert_outcomes(
            passed=1)
    runs = sorted((pytester.path / ".gaobench" / "runs").iterdir())
    assert all((run / "workspace").exists() and (run / "checkpoints").exists() for run in runs)
    done = gao_dev(pytester.path / ".gaobench", "prune", "--keep", "1")
    assert done.returncode == 0 and done.stdout.startswith("pruned 2 runs")
    kept = [run for run in runs if (run / "workspace").exists()]
    assert len(kept) == 1 and (kept[0] / "checkpoints").exists()
    assert all((run / "result.json").exists() and (run / "transcript.jsonl").exists()
               for run in runs)
    assert len(run_results(pytester.path)) == 3


def test_init_writes_a_benchmark_that_passes_check(pytester: pytest.Pytester) -> None:
    done = gao_dev(pytester.path, "init", "word-count")
    assert done.returncode == 0, done.stdout
    spec = pytester.path / "benchmarks" / "bench_word_count.yaml"
    assert spec.exists()
    checked = gao_dev(pytester.path, "check", "benchmarks")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "word-count" in checked.stdout and "valid" in checked.stdout
    assert "forgeable" not in checked.stdout  # the skeleton shows the safe way to grade
    again = gao_dev(pytester.path, "init", "word-count")
    assert again.returncode == 4 and "not overwriting" in again.stdout
    assert json.loads(gao_dev(pytester.path, "schema", "spec").stdout)["title"]


def test_wall_time_is_shown_but_never_a_regression() -> None:
    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.status import BenchmarkStatus
    from pytest_gaobench.results.compare import compare

    def run(run_id: str, seconds: float, tokens: int) -> BenchmarkResult:
        result = BenchmarkResult(run_id=run_id, benchmark=BenchmarkInfo(name="calc"),
                                 status=BenchmarkStatus.COMPLETED)
        result.metrics.duration_seconds = seconds
        result.metrics.usage.record_api_call(tokens_input=tokens, tokens_output=0,
                                             cost_usd=None)
        return result

    slower = compare(run("a", 10.0, 5000), run("b", 100.0, 5000))
    wall = next(m for m in slower.metrics if m.metric == "duration_seconds")
    assert (wall.delta, wall.gated, wall.regressed, slower.regressed) == (90.0, False, False,
                                                                          False)
    costlier = compare(run("a", 10.0, 5000), run("b", 10.0, 50000))
    assert costlier.regressed and not costlier.warnings


def test_results_show_tells_the_usage(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                      api: FakeAnthropic) -> None:
    bench.write("calc", success_criteria={})
    api.script(message(text("Nothing to change."), input_tokens=1234, output_tokens=56))
    pytester.runpytest("--gaobench-agent=anthropic", "-p", "no:cacheprovider"
                       ).assert_outcomes(passed=1)
    run_id = result_named(pytester.path, "calc")["run_id"]
    shown = gao_dev(pytester.path, "results", "show", run_id)
    assert "usage: 1 API calls, 1 turns, 0 tool calls, 1,290 tokens (input 1,234, output 56, " \
           "cache read 0, cache write 0), cost $0." in shown.stdout
    assert "agent: anthropic, model claude-sonnet-5-5" in shown.stdout


def test_results_show_says_what_was_not_measured(pytester: pytest.Pytester,
                                                 bench: BenchmarkWriter) -> None:
    """A command agent that reports only tokens and turns: the rest is not measured, and
    is shown so ("-"), never as 0."""
    import json

    report = json.dumps({"input_tokens": 1200, "output_tokens": 80, "turns": 4})
    bench.write("calc", agent_command=f"echo '{report}' > \"$GAOBENCH_USAGE_FILE\"",
                success_criteria={})
    pytester.runpytest_subprocess("--gaobench-agent=command", "-p", "no:cacheprovider"
                                  ).assert_outcomes(passed=1)
    shown = gao_dev(pytester.path, "results", "show", result_named(pytester.path,
                                                                   "calc")["run_id"])
    assert "usage: - API calls, 4 turns, - tool calls, 1,280 tokens (input 1,200, output 80, " \
           "cache read -, cache write -), cost unknown (-: not measured)" in shown.stdout


def test_check_passes_n_k_and_m_through_to_one_session(pytester: pytest.Pytester,
                                                      bench: BenchmarkWriter) -> None:
    bench.write("alpha", tags=["smoke"])
    bench.write("beta")
    bench.write("broken", oracle_files={})  # the oracle cannot pass it
    picked = gao_dev(pytester.path, "check", ".", "-n", "2", "-k", "alpha or broken")
    assert picked.returncode == 1, picked.stdout + picked.stderr
    lines = picked.stdout.splitlines()
    assert any(line.startswith("valid    alpha: nop failed") for line in lines)
    assert any(line.startswith("INVALID  broken: the oracle did not pass it")
               for line in lines)
    assert "beta" not in picked.stdout and lines[-1] == "1 valid, 1 invalid"
    marked = gao_dev(pytester.path, "check", ".", "-n", "0", "-m", "smoke")
    assert marked.returncode == 0, marked.stdout + marked.stderr
    assert marked.stdout.splitlines()[-1] == "1 valid, 0 invalid"
