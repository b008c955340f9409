"""Tests named by node id (SWE-bench's FAIL_TO_PASS and PASS_TO_PASS), graded in place.

The named tests live in the project, so they run from the workspace, with the project's
code, as its own tests do. What decides them must still not be the agent's: the
boilerplate is prepared again, outside the workspace, and the grading patch (the tests
the agent never saw) is applied to it there. Then the files the patch touches, the
files holding the named tests and every ``conftest.py`` are put back in the workspace as
that patched boilerplate has them (a ``conftest.py`` the agent added is removed), and
pytest runs with the boilerplate's configuration file, put back in its place too. Each named
test's outcome is read from the JUnit report the grader wrote, outside the workspace.

Like every test that imports the solution, this is forgeable in process by code that
patches pytest from inside the project (``gao-dev check`` says so); what it closes is
editing the tests, their fixtures and their configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model.metrics import QualityMetrics
from ..model.result import CriterionResult
from ..model.spec import BenchmarkConfig, NamedTests
from ..sandbox.boilerplate import BoilerplateError, BoilerplateManager
from ..sandbox.output import keep_output, last_lines, read_bounded
from ..sandbox.sandbox import Sandbox
from ..sandbox.untrusted import entries_below
from .errors import GradingSetupError
from .put_back import PutBackError, put_back, remove
from .test_run import (
    junit_counts,
    junit_node_id,
    junit_root,
    pytest_config_file,
    tests_argv,
    tests_network,
)
from .workspace import GIT_ENV, git_argv, searched_folder

PATCH_SECONDS = 120.0
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
"""Outcomes from best to worst: a test reported twice keeps its worse."""
CONFTEST = "conftest.py"


@dataclass(frozen=True)
class NamedTestsRun:
    criteria: list[CriterionResult]
    quality: QualityMetrics


def patched_paths(patch: str) -> set[str]:
    """The files a patch touches (before and after a rename), '/'-separated, as git reads
    the patch: a hunk line that looks like a file header, or a quoted name with spaces,
    is read as git reads it (``git apply --numstat -z``, forwards and in reverse)."""
    if shutil.which("git") is None:
        raise GradingSetupError("git is not installed, and this benchmark's grading patch "
                                "is read with it: install git (e.g. `apt-get install git`)")
    found: set[str] = set()
    for direction in ([], ["-R"]):
        done = subprocess.run(git_argv("apply", "--numstat", "-z", *direction, "-"),
                              input=patch.encode(), cwd="/", capture_output=True,
                              env={**os.environ, **GIT_ENV}, timeout=PATCH_SECONDS,
                              check=False)
        if done.returncode != 0:
            raise GradingSetupError(f"the grading patch cannot be read: "
                                    f"{done.stderr.decode(errors='replace').strip()[-500:]}")
        for entry in done.stdout.split(b"\0"):
            path = entry.split(b"\t", 2)[-1] if entry.count(b"\t") >= 2 else b""
            if path:
                found.add(path.decode(errors="surrogateescape"))
    return found


def file_of(node_id: str) -> str:
    """The file part of a pytest node id."""
    return node_id.split("::", 1)[0]


def run_named_tests(config: BenchmarkConfig, sandbox: Sandbox, grading_dir: Path,
                    boilerplate: BoilerplateManager) -> NamedTestsRun:
    named = config.success_criteria.named_tests
    assert named is not None
    reports = grading_dir / "named"
    reports.mkdir(parents=True)
    base = grading_dir / "base"
    try:
        config_file = _put_back_tests(config, named, sandbox, base, boilerplate, reports)
    except PutBackError as exc:  # the agent's links or folders in the tests' way
        return NamedTestsRun(_all_failed(named, str(exc)), QualityMetrics())
    finally:
        shutil.rmtree(base, ignore_errors=True)  # a whole checkout, not needed any more
    settings = ["-p", "no:cacheprovider", "-p", "no:gaobench", "-c", str(config_file),
                f"--rootdir={sandbox.workspace}", f"--confcutdir={sandbox.workspace}"]
    junit = reports / "tests.xml"
    # The files that hold the named tests, not the ids: an id that matches nothing (cut
    # at a space, as SWE-bench's log parser cuts them) must fail alone, not stop the run.
    files = sorted({file_of(node_id) for node_id in named.ids})
    timeout = config.success_criteria.test_timeout_seconds
    argv = tests_argv(sandbox, "first", sandbox.workspace, config.success_criteria.python_path,
                      "pytest", "-q", *settings, f"--junitxml={junit}",
                      "-o", "junit_family=xunit1", *files)
    output = reports / "output.txt"
    outcome = sandbox.run(argv, timeout=timeout, writable=[reports], stdout_path=output,
                          display=f"python -m pytest {' '.join(files)}",
                          network=tests_network(sandbox))
    keep_output(output, str)  # what the agent's code printed is kept, but bounded
    root = junit_root(junit)
    outcomes = outcomes_by_id(root)
    problem = None
    if outcome.timed_out:
        problem = f"the named tests timed out after {timeout:g}s"
    elif root is None:
        said = last_lines(read_bounded(output, 64 * 1024), 3, 500)
        problem = f"pytest exited with {outcome.exit_code}: {said or outcome.tail(3)}"
    criteria = [_criterion(key, wanted, outcomes, problem)
                for key, wanted in named.lists() if wanted]
    return NamedTestsRun(criteria, junit_counts(root))


def _put_back_tests(config: BenchmarkConfig, named: NamedTests, sandbox: Sandbox, base: Path,
                    boilerplate: BoilerplateManager, reports: Path) -> Path:
    """Put the named tests' files, the patch's files and the conftests back in the workspace
    from the patched boilerplate; the pytest configuration file to run them with (the
    boilerplate's, copied into ``reports``, or an empty one)."""
    patched_boilerplate(config, base, boilerplate)
    protected = {file_of(node_id) for node_id in named.ids}
    patch = config.grading_patch_file
    if patch is not None:
        protected |= patched_paths(patch.read_text(encoding="utf-8", errors="replace"))
    base_conftests = set(conftests(base))
    put_back(sandbox.workspace, base, protected | base_conftests)
    remove(sandbox.workspace, set(conftests(sandbox.workspace)) - base_conftests)
    found = pytest_config_file(base)
    if found is None:
        empty = reports / "pytest.ini"
        empty.write_text("[pytest]\n", encoding="utf-8")
        return empty
    # Back in its place, as the boilerplate has it: pytest reads `pythonpath` and
    # `testpaths` relative to the file.
    relative = found.relative_to(base).as_posix()
    put_back(sandbox.workspace, base, [relative])
    return sandbox.workspace / relative


def patched_boilerplate(config: BenchmarkConfig, base: Path,
                        boilerplate: BoilerplateManager) -> Path:
    """The boilerplate as the run began, in ``base`` (the harness's own copy or clone),
    with the grading patch applied."""
    boilerplate_again(config, base, boilerplate)
    patch = config.grading_patch_file
    if patch is None:
        return base
    if shutil.which("git") is None:
        raise GradingSetupError("git is not installed, and this benchmark's grading patch "
                                "is applied with it: install git (e.g. `apt-get install git`)")
    # The ceiling keeps git from taking a repository around a copied boilerplate for its own.
    env = {**os.environ, **GIT_ENV, "GIT_CEILING_DIRECTORIES": str(base.parent)}
    done = subprocess.run(git_argv("apply", "--whitespace=nowarn", str(patch.resolve())),
                          cwd=base, env=env, capture_output=True, text=True,
                          timeout=PATCH_SECONDS, check=False)
    if done.returncode != 0:
        raise GradingSetupError(f"the grading patch {patch.name} does not apply to the "
                                f"boilerplate: {done.stderr.strip()[-500:]}")
    return base


def boilerplate_again(config: BenchmarkConfig, base: Path,
                      boilerplate: BoilerplateManager) -> Path:
    """The boilerplate as the run began, made again in ``base`` for grading."""
    try:
        boilerplate.prepare(config, base)
    except BoilerplateError as exc:
        raise GradingSetupError(f"the boilerplate could not be made again for grading: "
                                f"{exc}") from exc
    return base


def conftests(top: Path) -> Iterator[str]:
    """Every name ``conftest.py`` below ``top`` (a file, a link, anything), in folders
    pytest searches; linked folders are not entered."""
    for relative, _info in entries_below(top, enter=searched_folder):
        if relative.rpartition("/")[2] == CONFTEST:
            yield relative


def outcomes_by_id(root: ET.Element | None) -> dict[str, str]:
    """node id -> passed, failed, error or skipped, from the grader's JUnit report; a test
    with a failure in any of its phases is not passed."""
    found: dict[str, str] = {}
    if root is None:
        return found
    for case in root.iter("testcase"):
        if case.find("error") is not None:
            outcome = "error"
        elif case.find("failure") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        node_id = junit_node_id(case)
        if _RANK[outcome] >= _RANK[found.get(node_id, "passed")]:
            found[node_id] = outcome
    return found


NOT_RUN = "not run: no test that ran has this id"


def outcome_of(wanted: str, outcomes: dict[str, str]) -> str:
    """The outcome of a named test. An id cut at a space (``test_x[a`` for ``test_x[a b]``:
    SWE-bench's log parser cuts them there) stands for every node id it is the start of,
    and passes only when all of them do."""
    if wanted in outcomes:
        return outcomes[wanted]
    cut = "[" in wanted and not wanted.endswith("]")
    matched = [outcome for node_id, outcome in outcomes.items()
               if cut and node_id.startswith(wanted)]
    return max(matched, key=_RANK.__getitem__) if matched else NOT_RUN


def _criterion(key: str, wanted: list[str], outcomes: dict[str, str],
               problem: str | None) -> CriterionResult:
    name = f"named_tests:{key}"
    if problem is not None:
        return CriterionResult(name=name, passed=False, detail=problem)
    found = {node_id: outcome_of(node_id, outcomes) for node_id in wanted}
    missing = [node_id for node_id in wanted if found[node_id] != "passed"]
    detail = f"{len(wanted) - len(missing)} of {len(wanted)} passed"
    if missing:
        detail += f"; first not passing: {missing[0]} ({found[missing[0]]})"
    return CriterionResult(name=name, passed=not missing, detail=detail,
                           failing_tests=[f"{node_id}: {found[node_id]}"
                                          for node_id in missing[:20]])


def _all_failed(named: NamedTests, why: str) -> list[CriterionResult]:
    return [CriterionResult(name=f"named_tests:{key}", passed=False, detail=why)
            for key, wanted in named.lists() if wanted]
