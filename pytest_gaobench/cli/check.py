"""gao-dev check [PATHS]: is each benchmark valid? The nop agent must fail it (else it
measures nothing) and the oracle must pass it (else it cannot be solved, or is graded
wrong). The forger (a wrong solution with the known in-process forging tricks) should fail
it: one it passes is "forgeable in process" (a warning; invalid with ``--strict``). All
three run in one real pytest session, in a throwaway gaobench folder, spread over all cores
by pytest-xdist (``-n``), with ``-k`` and ``-m`` passed through; each benchmark's line
gives its three verdicts and, when it is invalid, the run's own reason."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from ..model.spec import BenchmarkConfig

EXIT_INVALID = 1
FORGEABLE = ("forgeable in process: the forger agent (a wrong solution that changes the "
             "verdict from inside the grader) passed it; ")
OUT_OF_PROCESS = "grade it with grading_mode: out_of_process"
IN_THE_PROJECT = ("named tests and tests in the benchmark's own environment run inside the "
                  "project, as its CI and SWE-bench's harness run them, and have no "
                  "out-of-process grading: trust them as far as you trust the agent")
COVERAGE_FORGEABLE = ("coverage forgeable in process: min_test_coverage is measured in the "
                      "agent's own test process, where its code can add lines to the count; "
                      "use coverage_from: grading_tests")


@dataclass(frozen=True)
class Verdict:
    status: str
    failure_kind: str | None
    reason: str

    def __str__(self) -> str:
        kind = f" ({self.failure_kind})" if self.failure_kind else ""
        return f"{self.status}{kind}"


CHECK_AGENTS = ("nop", "oracle", "forger")


def _worse(agent: str, old: Verdict | None, new: Verdict) -> Verdict:
    """Of two runs of one agent (``repeats:``), the one worse for the benchmark's validity:
    the oracle's failure, the nop's or the forger's pass."""
    if old is None:
        return new
    if agent == "oracle":
        return new if old.status == "completed" else old
    return new if new.status == "completed" else old


class _Verdicts:
    """Each benchmark's status per check agent, from the reports pytest produces (in the
    xdist controller too), keyed by its file and name (two files may share a name), the
    worst of each agent's runs kept (``repeats:``); the lines are printed when all ran."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.rootpath: Path | None = None
        self.by_key: dict[str, dict[str, Verdict]] = {}
        self.problems: dict[str, str | None] = {}
        self.collection_errors: list[str] = []
        """What failed to collect (the terminal is off: said when the session stops)."""

    def pytest_configure(self, config: pytest.Config) -> None:
        self.rootpath = config.rootpath

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            said = str(report.longrepr).strip().splitlines()
            self.collection_errors.append(f"{report.nodeid or '.'}: {' '.join(said[-6:])}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if report.when != "call" or "status" not in properties:
            return
        key = report.nodeid.split("[")[0]
        reason = str(properties.get("reason") or "")
        if properties.get("agent") in (None, "", "None"):  # the file itself is invalid
            if key not in self.problems:
                self.problems[key] = f"invalid benchmark file: {reason}"
                print(f"{'INVALID':8} {key.rpartition('::')[0]}: {self.problems[key]}",
                      flush=True)
            return
        kind = properties.get("failure_kind")
        agent = str(properties["agent"])
        verdicts = self.by_key.setdefault(key, {})
        verdicts[agent] = _worse(agent, verdicts.get(agent), Verdict(
            str(properties["status"]), None if kind is None else str(kind), reason))

    def tell(self, key: str, verdicts: dict[str, Verdict]) -> str | None:
        """Print the benchmark's line; return its problem (None: valid)."""
        nop, oracle, forger = (verdicts.get(agent) for agent in CHECK_AGENTS)
        assert oracle is not None
        problem = _problem(nop, oracle)
        forgeable = forger is not None and forger.status == "completed"
        if problem is None and forgeable and self.strict:
            problem = self.forgeable(key)
        said = f"nop {nop}, oracle {oracle}, forger {forger}"
        label = self.label(key)
        print(f"{'INVALID' if problem else 'valid':8} {label}: "
              f"{f'{problem} [{said}]' if problem else said}", flush=True)
        if forgeable and problem is None:
            print(f"{'warning':8} {label}: {self.forgeable(key)}", flush=True)
        if problem is None and self.coverage_from_own_tests(key):
            print(f"{'warning':8} {label}: {COVERAGE_FORGEABLE}", flush=True)
        return problem

    def spec_of(self, key: str) -> BenchmarkConfig | None:
        from ..specfile.load import load_spec

        if self.rootpath is None:
            return None
        try:
            return load_spec(self.rootpath / key.rpartition("::")[0])
        except (OSError, ValueError):
            return None

    def forgeable(self, key: str) -> str:
        """The warning for a benchmark the forger passed, with the way out where one is."""
        spec = self.spec_of(key)
        inside = spec is not None and (spec.environment is not None
                                       or spec.success_criteria.named_tests is not None)
        return FORGEABLE + (IN_THE_PROJECT if inside else OUT_OF_PROCESS)

    def coverage_from_own_tests(self, key: str) -> bool:
        """Whether the benchmark's coverage criterion counts in the agent's own process."""
        spec = self.spec_of(key)
        if spec is None:
            return False
        criteria = spec.success_criteria
        return criteria.min_test_coverage is not None and criteria.coverage_from == "own_tests"

    def label(self, key: str) -> str:
        """The benchmark's name, and its file where another file has that name too."""
        file, _, name = key.rpartition("::")
        twins = [other for other in [*self.by_key, *self.problems]
                 if other != key and other.rpartition("::")[2] == name]
        return f"{name} ({file})" if twins else name


def add_command(commands: Any) -> None:
    check = commands.add_parser("check", help="check that benchmarks are valid: the nop "
                                              "agent fails them and the oracle passes them")
    check.add_argument("paths", nargs="*", default=["benchmarks"], metavar="PATH",
                       help="benchmark files or folders (default: benchmarks)")
    check.add_argument("--strict", action="store_true",
                       help="a benchmark the forger agent passes is invalid, not a warning")
    check.add_argument("-n", "--numprocesses", default=None, metavar="N",
                       help="pytest-xdist workers (default: all cores; 0: none)")
    check.add_argument("-k", dest="keyword", metavar="EXPRESSION",
                       help="only benchmarks matching this pytest -k expression")
    check.add_argument("-m", dest="markexpr", metavar="MARKEXPR",
                       help="only benchmarks whose tags match this pytest -m expression")
    check.add_argument("--container", choices=("podman", "docker"),
                       help="the container engine of container benchmarks (default: "
                            "whichever is installed)")
    check.add_argument("--keep", metavar="DIR",
                       help="keep check's runs (workspaces of failed runs too) in DIR, to "
                            "open a failure")


def pytest_args(options: argparse.Namespace, scratch: str) -> list[str]:
    """One session: every benchmark with each check agent, spread over the workers."""
    args = [*options.paths, "-p", "no:cacheprovider", "-p", "no:terminal", "-s",
            *(f"--gaobench-agent={agent}" for agent in CHECK_AGENTS),
            f"--gaobench-dir={scratch}", "--gaobench-db=none"]
    workers = options.numprocesses or ("auto" if _xdist() else "0")
    if workers not in ("0", 0):
        args += ["-n", str(workers)]
    if options.keyword:
        args += ["-k", options.keyword]
    if options.markexpr:
        args += ["-m", options.markexpr]
    if options.container:
        args.append(f"--gaobench-container={options.container}")
    return args


def _xdist() -> bool:
    import importlib.util

    return importlib.util.find_spec("xdist") is not None


def run(options: argparse.Namespace) -> int:
    import pytest

    recorder = _Verdicts(options.strict)
    if options.keep:
        code = pytest.main([*pytest_args(options, options.keep), "--gaobench-keep"],
                           plugins=[recorder])
        print(f"gao-dev check: its runs are kept in {options.keep}/runs")
    else:
        with tempfile.TemporaryDirectory(prefix="gaobench-check-") as scratch:
            code = pytest.main(pytest_args(options, scratch), plugins=[recorder])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("gao-dev check: no benchmark to check (exit code 5): no benchmark file under "
              f"{' '.join(options.paths)}" + (", or -k/-m matched none"
                                              if options.keyword or options.markexpr else ""))
        return int(code)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        print(f"gao-dev check: the check session ended with exit code {int(code)}"
              + "".join(f"\n  collecting {error}" for error in recorder.collection_errors))
        return int(code)
    for key in sorted(set(recorder.by_key) - set(recorder.problems)):
        recorder.problems[key] = recorder.tell(key, recorder.by_key[key]) \
            if "oracle" in recorder.by_key[key] else "the oracle did not run it"
    problems = sum(problem is not None for problem in recorder.problems.values())
    print(f"{len(recorder.problems) - problems} valid, {problems} invalid")
    return EXIT_INVALID if problems else 0


def _problem(nop: Verdict | None, oracle: Verdict) -> str | None:
    if oracle.status != "completed":
        return f"the oracle did not pass it: {oracle}: {oracle.reason}".rstrip(": ")
    if nop is None:
        return "the nop agent did not run it"
    if nop.status == "completed":
        return "the nop agent passed it: the benchmark measures nothing"
    if nop.failure_kind in ("config", "infra"):
        return f"the nop agent's run failed before grading: {nop}: {nop.reason}".rstrip(": ")
    return None
