"""The bad-input catalogue (README, "Bad input"): each row gets a clear message and the
right status, and nothing else is lost. Rows about the YAML itself are in
test_bad_benchmarks.py and test_spec.py; git rows in test_git_boilerplate.py."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, result_named, run_results


def test_symlink_in_boilerplate_leaving_it_is_refused(pytester: pytest.Pytester,
                                                      bench: BenchmarkWriter) -> None:
    bench.write("calc")
    secret = pytester.path / "secret.txt"
    secret.write_text("not for the agent\n")
    (pytester.path / "boilerplates" / "calc" / "leak").symlink_to(secret)
    pytester.runpytest().assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert "has a symlink pointing outside it" in result["reason"]
    assert "not for the agent" not in (pytester.path / ".gaobench").joinpath(
        "runs", result["run_id"], "events.jsonl").read_text()


def test_pipe_in_boilerplate_is_refused_instead_of_hanging(pytester: pytest.Pytester,
                                                           bench: BenchmarkWriter) -> None:
    bench.write("calc")
    os.mkfifo(pytester.path / "boilerplates" / "calc" / "pipe")
    pytester.runpytest().assert_outcomes(failed=1)
    reason = result_named(pytester.path, "calc")["reason"]
    assert "not a regular file, folder or link" in reason and "pipe" in reason


def test_huge_boilerplate_is_refused_before_copying(pytester: pytest.Pytester,
                                                    bench: BenchmarkWriter) -> None:
    bench.write("calc")
    with (pytester.path / "boilerplates" / "calc" / "data.bin").open("wb") as handle:
        handle.truncate(600 * 2**20)  # sparse: costs no disk
    pytester.runpytest().assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert "holds 600 MiB, more than the 512 MiB limit" in result["reason"]


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_oracle_forking_a_process_that_never_ends_leaves_nothing(
        pytester: pytest.Pytester, bench: BenchmarkWriter, isolation: str) -> None:
    marker = f"sleep 1000.{uuid.uuid4().int % 10**12}"  # a unique command line to look for
    bench.write("calc", oracle_script=f"{marker} &\nkill -0 $! && echo child-running\n")
    pytester.runpytest(f"--gaobench-isolation={isolation}").assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    transcript = (pytester.path / ".gaobench" / "runs" / result["run_id"] / "transcript.jsonl")
    assert "child-running" in transcript.read_text()  # the fork really happened
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert alive == "", "the forked process outlived its command"


def test_many_megabytes_of_output_are_truncated(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="head -c 30000000 /dev/zero | tr '\\0' 'x'\n"
                                      "echo; echo the-real-reason >&2; exit 4\n")
    pytester.runpytest().assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert "the-real-reason" in result["phases"][0]["error"]
    run_dir = pytester.path / ".gaobench" / "runs" / result["run_id"]
    assert (run_dir / "result.json").stat().st_size < 200_000
    transcript = (run_dir / "transcript.jsonl").read_text()
    assert len(transcript) < 200_000


def test_non_utf8_output_and_files_do_not_break_the_run(pytester: pytest.Pytester,
                                                        bench: BenchmarkWriter) -> None:
    bench.write("calc", oracle_script="printf 'caf\\351\\n' > notes.txt\nprintf '\\377\\376'\n",
                success_criteria={"tests_must_pass": True,
                                  "commands": [{"name": "cat", "run": "cat notes.txt; exit 1"}]})
    pytester.runpytest().assert_outcomes(failed=1)
    criteria = {c["name"]: c for c in result_named(pytester.path, "calc")["criteria"]}
    assert criteria["tests_must_pass"]["passed"]
    assert "caf\ufffd" in criteria["command:cat"]["detail"]


def test_duplicate_benchmark_names_across_files(pytester: pytest.Pytester,
                                                bench: BenchmarkWriter) -> None:
    bench.write("calc", file_name="bench_a.yaml")
    bench.write("calc", file_name="bench_b.yaml")
    outcome = pytester.runpytest()
    outcome.assert_outcomes(passed=1, failed=1)
    outcome.stdout.fnmatch_lines([f"*bench_b.yaml:1: name: benchmark name 'calc' is already "
                                  f"used by {pytester.path / 'bench_a.yaml'}"])
    results = run_results(pytester.path)
    assert sorted((r["status"], r["failure_kind"]) for r in results) == [
        ("completed", None), ("failed", "config")]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, where mounting is allowed (root with CAP_SYS_ADMIN)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_is_an_infra_failure_and_the_result_is_still_written(
        pytester: pytest.Pytester, bench: BenchmarkWriter, small_disk: Path) -> None:
    bench.write("calc")
    (pytester.path / "boilerplates" / "calc" / "big.bin").write_bytes(os.urandom(3 * 2**20))
    outcome = pytester.runpytest(f"--gaobench-dir={small_disk}")
    outcome.assert_outcomes(failed=1)
    [result] = [r for r in map(_load, small_disk.glob("runs/*/result.json"))]
    assert result["failure_kind"] == "infra"
    assert "No space left on device" in result["reason"]


def _load(path: Path) -> dict[str, object]:
    import json

    return dict(json.loads(path.read_text()))
