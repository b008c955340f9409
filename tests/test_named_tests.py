"""Named tests graded as SWE-bench grades them: ids cut at a space, an id that matches
nothing failing alone, the repository's pytest configuration in its own place, the
patch's files read as git reads them, and the logs that say why.

Each repository is made here in tmp_path and imported with ``gao-dev import swe-bench``,
as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from benchmark_files import result_named
from test_import_swe_bench import FILES, diff_of, import_suite, instance, make_repo

from pytest_gaobench.grading.named_tests import patched_paths

PARAMETRIZED = FILES["tests/test_ops.py"] + (
    "\n\nimport pytest\n\n\n@pytest.mark.parametrize('pair', ['a b', 'a c'])\n"
    "def test_spaced(pair):\n    assert pair.startswith('a ')\n")


def criteria_of(root: Path, name: str = "acme__calc-1") -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in result_named(root, name)["criteria"]}


def run_oracle(pytester: pytest.Pytester, out: Path) -> pytest.RunResult:
    return pytester.runpytest_subprocess(str(out), "-p", "no:cacheprovider",
                                         "--gaobench-keep", timeout=240)


def test_an_id_cut_at_a_space_stands_for_the_tests_it_begins(pytester: pytest.Pytester
                                                             ) -> None:
    """SWE-bench's log parser cuts ids at the first space: ``test_spaced[a`` is both of
    ``test_spaced[a b]`` and ``test_spaced[a c]``, and passes only if both do."""
    made = make_repo(pytester.path, {**FILES, "tests/test_ops.py": PARAMETRIZED})
    out = import_suite(pytester.path, [instance(
        made, PASS_TO_PASS=["tests/test_ops.py::test_add", "tests/test_ops.py::test_spaced[a"])])
    run_oracle(pytester, out).assert_outcomes(passed=1)
    assert criteria_of(pytester.path)["named_tests:must_still_pass"]["detail"] == \
        "2 of 2 passed"


def test_an_id_that_matches_nothing_fails_alone_and_says_so(pytester: pytest.Pytester) -> None:
    made = make_repo(pytester.path)
    out = import_suite(pytester.path, [instance(
        made, PASS_TO_PASS=["tests/test_ops.py::test_add", "tests/test_ops.py::test_gone"])])
    run_oracle(pytester, out).assert_outcomes(failed=1)
    criteria = criteria_of(pytester.path)
    assert criteria["named_tests:must_pass"]["passed"]  # the fix is still seen to work
    still = criteria["named_tests:must_still_pass"]
    assert not still["passed"] and still["detail"].startswith("1 of 2 passed")
    assert still["failing_tests"] == [
        "tests/test_ops.py::test_gone: not run: no test that ran has this id"]
    result = result_named(pytester.path, "acme__calc-1")
    named = (pytester.path / ".gaobench" / "runs" / result["run_id"]
             / result["metadata"]["grading_dir"] / "named")
    assert "passed" in (named / "output.txt").read_text()  # the named run's own output


SRC_LAYOUT = {
    "make_version.py": "open('src/calc/_version.py', 'w').write('VERSION = 1\\n')\n",
    "src/calc/__init__.py": FILES["calc/__init__.py"],
    "src/calc/ops.py": FILES["calc/ops.py"],
    ".gitignore": "src/calc/_version.py\n",
    "pyproject.toml": ("[tool.pytest.ini_options]\npythonpath = [\"src\"]\n"
                       "testpaths = [\"tests\"]\n"),
    "tests/__init__.py": "",
    "tests/conftest.py": FILES["tests/conftest.py"],
    "tests/test_ops.py": FILES["tests/test_ops.py"],
}


def test_a_src_layout_finds_its_code_through_its_own_config(pytester: pytest.Pytester) -> None:
    """pytest reads ``pythonpath`` relative to the file that sets it: the config is put
    back in its place, never copied elsewhere."""
    made = make_repo(pytester.path, SRC_LAYOUT, "src/calc/ops.py")
    out = import_suite(pytester.path, [instance(made)])
    (pytester.path / "pyproject.toml").write_text("")  # the outer session's own, empty
    run_oracle(pytester, out).assert_outcomes(passed=1)
    assert all(c["passed"] for c in criteria_of(pytester.path).values())


def test_the_files_of_a_patch_are_read_as_git_reads_them() -> None:
    """A removed line ``-- x`` or an added ``++ y`` is not a file header; a name with a
    space comes quoted."""
    patch = ('diff --git "a/my tests/test_a.py" "b/my tests/test_a.py"\n'
             '--- "a/my tests/test_a.py"\n+++ "b/my tests/test_a.py"\n'
             "@@ -1,2 +1,2 @@\n--- not a header\n+++ nor this\n x = 1\n")
    assert patched_paths(patch) == {"my tests/test_a.py"}


def test_a_setup_commands_log_keeps_what_it_said_on_stderr(pytester: pytest.Pytester) -> None:
    made = make_repo(pytester.path)
    out = import_suite(pytester.path, [instance(made)])
    spec_file = out / "acme__calc-1" / "bench_acme__calc_1.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["setup"][0]["run"] = "echo 'ERROR: no matching distribution' >&2; exit 3"
    spec_file.write_text(yaml.safe_dump(spec))
    pytester.runpytest_subprocess(str(out), "-p", "no:cacheprovider", timeout=240
                                  ).assert_outcomes(failed=1)
    result = result_named(pytester.path, "acme__calc-1")
    assert (result["status"], result["failure_kind"]) == ("failed", "infra")
    assert "no matching distribution" in result["reason"]
    log = (pytester.path / ".gaobench" / "runs" / result["run_id"] / "setup" / "setup-1.log")
    assert "ERROR: no matching distribution" in log.read_text()
    assert json.dumps(result).count("exited with 3") >= 1


def test_what_the_agents_code_prints_under_the_named_tests_is_kept_bounded(
        pytester: pytest.Pytester) -> None:
    """The named run's output is kept in the run folder; code under test that prints
    without end cannot fill the disk with it."""
    from pytest_gaobench.sandbox.output import KEPT_HEAD, KEPT_TAIL

    commit, test_patch, _ = make_repo(pytester.path)
    repo = pytester.path / "acme" / "calc"
    head, _, tail = FILES["calc/ops.py"].rpartition("return a + b")
    # pytest captures what code prints; what it reports (a failure's message) it prints.
    loud = diff_of(repo, "calc/ops.py", f"{head}raise ValueError('x' * 30_000_000){tail}")
    out = import_suite(pytester.path, [instance((commit, test_patch, loud))])
    run_oracle(pytester, out).assert_outcomes(failed=1)
    result = result_named(pytester.path, "acme__calc-1")
    named = (pytester.path / ".gaobench" / "runs" / result["run_id"]
             / result["metadata"]["grading_dir"] / "named" / "output.txt")
    assert KEPT_HEAD < named.stat().st_size < KEPT_HEAD + KEPT_TAIL + 4096
