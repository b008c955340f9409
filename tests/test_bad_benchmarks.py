"""A bad benchmark file fails as its own item, says why with file and line, and
every other benchmark still runs."""

from __future__ import annotations

import pytest
from benchmark_files import BenchmarkWriter, run_results

GOOD_REST = """\
boilerplate_path: boilerplates/calc
oracle: oracles/calc
workflow_phases:
  - phase_name: implementation
"""

BAD_FILES = {
    # file name: (content, text the failure must show)
    "bench_malformed.yaml": ("name: broken\nworkflow_phases: [\n  - oops\n",
                             "bench_malformed.yaml:3: invalid YAML"),
    "bench_typo.yaml": ("name: typo\nsucess_criteria: {}\n" + GOOD_REST,
                        "bench_typo.yaml:2: unknown key 'sucess_criteria' "
                        "(did you mean 'success_criteria'?)"),
    "bench_types.yaml": ("name: types\ntimeout_seconds: soon\n" + GOOD_REST,
                         "bench_types.yaml:2: timeout_seconds: Input should be a valid number"),
    "bench_negative.yaml": ("name: negative\ntimeout_seconds: -5\n" + GOOD_REST,
                            "bench_negative.yaml:2: timeout_seconds: Input should be greater "
                            "than 0"),
    "bench_both.yaml": ("name: both\nboilerplate_url: https://example.invalid/x.git\n"
                        + GOOD_REST, "give exactly one of boilerplate_path or boilerplate_url "
                                     "(both are set)"),
    "bench_neither.yaml": ("name: neither\noracle: oracles/calc\nworkflow_phases:\n"
                           "  - phase_name: a\n", "(neither is set)"),
    "bench_dupes.yaml": ("name: dupes\n" + GOOD_REST + "  - phase_name: implementation\n",
                         "bench_dupes.yaml:6: workflow_phases[1].phase_name: duplicate phase "
                         "name 'implementation'"),
    "bench_escape.yaml": ("name: escape\nboilerplate_path: ../outside\noracle: oracles/calc\n"
                          "workflow_phases:\n  - phase_name: a\n",
                          "bench_escape.yaml:2: boilerplate_path: '../outside' points outside"),
    "bench_list.yaml": ("- name: a\n- name: b\n", "a benchmark must be a mapping of keys, "
                                                  "not a list"),
    "bench_empty.yaml": ("", "the file is empty"),
    "bench_missing.yaml": ("name: missing\nboilerplate_path: nowhere\nworkflow_phases:\n"
                           "  - phase_name: a\n", "'nowhere' does not exist"),
}


def test_each_bad_file_fails_alone_and_the_good_one_still_runs(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc")
    (pytester.path / "outside").mkdir()
    for name, (content, _) in BAD_FILES.items():
        bench.write_raw(name, content)
    outcome = pytester.runpytest("-rf")
    outcome.assert_outcomes(passed=1, failed=len(BAD_FILES))
    text = outcome.stdout.str()
    for name, (_, expected) in BAD_FILES.items():
        assert expected in text, f"{name}: {expected!r} not shown"
    assert "by agent and model" not in text  # one agent ran: nothing to set side by side
    results = run_results(pytester.path)
    config_failures = [r for r in results if r["failure_kind"] == "config"]
    assert len(config_failures) == len(BAD_FILES)
    assert all(r["status"] == "failed" and r["errors"][0]["stage"] == "validate"
               for r in config_failures)
    assert [r["status"] for r in results if r["failure_kind"] is None] == ["completed"]


def test_a_bad_file_keeps_its_name_when_it_has_one(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    bench.write_raw("bench_x.yaml", "name: my-bench\nworkflow_phases: 3\n")
    outcome = pytester.runpytest("--collect-only", "-q")
    outcome.stdout.fnmatch_lines(["bench_x.yaml::my-bench"])


def test_non_utf8_file_is_a_config_failure(pytester: pytest.Pytester) -> None:
    (pytester.path / "bench_latin1.yaml").write_bytes(b"name: caf\xe9\n")
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    outcome.stdout.fnmatch_lines(["*bench_latin1.yaml: not UTF-8 text*"])


def test_unknown_agent_is_a_usage_error(pytester: pytest.Pytester,
                                        bench: BenchmarkWriter) -> None:
    bench.write("calc")
    outcome = pytester.runpytest("--gaobench-agent", "nobody")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*unknown agent 'nobody'; known agents: *oracle*"])
