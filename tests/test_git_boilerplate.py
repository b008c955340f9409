"""Boilerplates cloned from real git repositories (made in tmp_path, cloned via file://)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from benchmark_files import BenchmarkWriter, result_named

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
       "PATH": "/usr/bin:/bin"}


def git(repo: Path, *args: str) -> str:
    """git on a test's repository, or on a kept workspace (owned by the sandbox's user when
    the harness is root, so git would call it dubious)."""
    return subprocess.run(["git", "-c", "safe.directory=*", "-C", str(repo), *args],
                          check=True, capture_output=True, text=True, env=ENV).stdout.strip()


@pytest.fixture
def calc_repo(tmp_path: Path) -> Path:
    """v1 has calc.py with a stub; the commit after it renames the module (breaks the tests)."""
    repo = tmp_path / "calc-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "calc.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    git(repo, "tag", "v1")
    git(repo, "mv", "tests/test_calc.py", "tests/test_renamed.py")
    (repo / "tests" / "test_renamed.py").write_text(
        "from calculator import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    git(repo, "commit", "-qam", "rename")
    return repo


def git_benchmark(bench: BenchmarkWriter, repo: Path, ref: str | None) -> None:
    path = bench.write("calc")
    shutil.rmtree(bench.root / "boilerplates")  # the repository replaces the local folder
    text = path.read_text().replace("boilerplate_path: boilerplates/calc",
                                    f"boilerplate_url: file://{repo}")
    if ref is not None:
        text += f"boilerplate_ref: {ref}\n"
    path.write_text(text)


def test_clone_at_a_pinned_ref(pytester: pytest.Pytester, bench: BenchmarkWriter,
                               calc_repo: Path) -> None:
    git_benchmark(bench, calc_repo, "v1")
    pytester.runpytest().assert_outcomes(passed=1)
    result = result_named(pytester.path, "calc")
    assert result["metadata"]["boilerplate"] == {
        "kind": "git", "source": f"file://{calc_repo}",
        "commit": git(calc_repo, "rev-parse", "v1")}


@pytest.mark.parametrize("ref", [None, "main"])
def test_without_a_ref_the_default_branch_is_used(pytester: pytest.Pytester,
                                                  bench: BenchmarkWriter, calc_repo: Path,
                                                  ref: str | None) -> None:
    """No ref, or the default branch named: its files are all there (a ref's clone writes
    no working tree of its own, the checkout of the ref does)."""
    git_benchmark(bench, calc_repo, ref)
    pytester.runpytest().assert_outcomes(failed=1)  # main's tests import a missing module
    result = result_named(pytester.path, "calc")
    assert result["metadata"]["boilerplate"]["commit"] == git(calc_repo, "rev-parse", "main")
    assert result["failure_kind"] == "criteria"
    own = next(c for c in result["criteria"] if c["name"] == "tests_must_pass")
    assert own["failing_tests"][0].startswith("tests/test_renamed.py")  # main's file is there


def test_a_ref_that_does_not_exist_is_an_infra_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter, calc_repo: Path) -> None:
    git_benchmark(bench, calc_repo, "v9")
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert result["errors"][0]["stage"] == "boilerplate"
    assert "git could not check out ref 'v9'" in result["reason"]
    assert [p["status"] for p in result["phases"]] == ["skipped"]  # the agent never started


def test_a_repository_that_does_not_exist_is_an_infra_failure(
        pytester: pytest.Pytester, bench: BenchmarkWriter, tmp_path: Path) -> None:
    git_benchmark(bench, tmp_path / "no-such-repo", None)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert result["failure_kind"] == "infra"
    assert "git could not clone" in result["reason"]
    outcome.stdout.fnmatch_lines(["*reason: infra: boilerplate: git could not clone*"])


def test_a_bundle_path_is_relative_to_the_benchmark_file(
        pytester: pytest.Pytester, bench: BenchmarkWriter, calc_repo: Path) -> None:
    git(calc_repo, "bundle", "create", str(pytester.path / "calc.bundle"), "--all")
    path = bench.write("calc")
    shutil.rmtree(bench.root / "boilerplates")
    path.write_text(path.read_text().replace("boilerplate_path: boilerplates/calc",
                                             "boilerplate_url: calc.bundle")
                    + "boilerplate_ref: v1\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_repeat_run_clones_from_the_local_mirror_even_offline(
        pytester: pytest.Pytester, bench: BenchmarkWriter, calc_repo: Path) -> None:
    git_benchmark(bench, calc_repo, "v1")
    pytester.runpytest().assert_outcomes(passed=1)
    first = result_named(pytester.path, "calc")
    [mirror] = (pytester.path / ".gaobench" / "cache" / "git").glob("*.git")
    assert git(mirror, "rev-parse", "v1") == first["metadata"]["boilerplate"]["commit"]

    away = calc_repo.with_name("moved-away")
    calc_repo.rename(away)  # the origin is gone: only the mirror can serve the ref
    shutil.rmtree(pytester.path / ".gaobench" / "runs")
    pytester.runpytest("--gaobench-keep").assert_outcomes(passed=1)
    second = result_named(pytester.path, "calc")
    assert second["metadata"]["boilerplate"]["commit"] == first["metadata"]["boilerplate"][
        "commit"]
    workspace = Path(second["workspace"])
    assert git(workspace, "remote", "get-url", "origin") == f"file://{calc_repo}"
    assert not (workspace / ".git" / "objects" / "info" / "alternates").exists()

    away.rename(calc_repo)  # a ref the mirror lacks: it is fetched
    git(calc_repo, "tag", "v2", "v1")
    git_benchmark(bench, calc_repo, "v2")
    shutil.rmtree(pytester.path / ".gaobench" / "runs")
    pytester.runpytest().assert_outcomes(passed=1)
    assert git(mirror, "rev-parse", "v2") == first["metadata"]["boilerplate"]["commit"]
