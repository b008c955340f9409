"""gao-dev check [PATHS]: is each benchmark valid? The nop agent must fail it (else it
measures nothing) and the oracle must pass it (else it cannot be solved, or is graded
wrong). The forger (a wrong solution with the known in-process forging tricks) should fail
it: one it passes is "forgeable in process" (a warning; invalid with ``--strict``). All
three run in one real pytest session, in a throwaway gaobench folder, spread over all cores
by pytest-xdist (``-n``), with ``-k`` and ``-m`` passed through; each benchmark's line is
printed as soon as its three verdicts are in."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

EXIT_INVALID = 1
FORGEABLE = ("forgeable in process: the forger agent (a wrong solution that changes the "
             "verdict from inside the grader) passed it; grade it with "
             "grading_mode: out_of_process")


@dataclass(frozen=True)
class Verdict:
    status: str
    failure_kind: str | None
    reason: str

    def __str__(self) -> str:
        kind = f" ({self.failure_kind})" if self.failure_kind else ""
        return f"{self.status}{kind}"


CHECK_AGENTS = ("nop", "oracle", "forger")


class _Verdicts:
    """Each benchmark's status per check agent, from the reports pytest produces (in the
    xdist controller too); a benchmark's line is printed as soon as its three are known."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.by_name: dict[str, dict[str, Verdict]] = {}
        self.problems: dict[str, str | None] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if report.when != "call" or "status" not in properties:
            return
        reason = report.longreprtext.splitlines()[0] if report.failed else ""
        kind = properties.get("failure_kind")
        name = report.nodeid.split("::")[-1].split("[")[0]
        verdicts = self.by_name.setdefault(name, {})
        verdicts[str(properties.get("agent"))] = Verdict(
            str(properties["status"]), None if kind is None else str(kind), reason)
        if name not in self.problems and all(agent in verdicts for agent in CHECK_AGENTS):
            self.problems[name] = self.tell(name, verdicts)

    def tell(self, name: str, verdicts: dict[str, Verdict]) -> str | None:
        """Print the benchmark's line; return its problem (None: valid)."""
        nop, oracle, forger = (verdicts.get(agent) for agent in CHECK_AGENTS)
        assert oracle is not None
        problem = _problem(nop, oracle)
        forgeable = forger is not None and forger.status == "completed"
        if problem is None and forgeable and self.strict:
            problem = FORGEABLE
        print(f"{'INVALID' if problem else 'valid':8} {name}: "
              f"{problem or f'nop {nop}, oracle {oracle}, forger {forger}'}", flush=True)
        if forgeable and problem is None:
            print(f"{'warning':8} {name}: {FORGEABLE}", flush=True)
        return problem


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
    return args


def _xdist() -> bool:
    import importlib.util

    return importlib.util.find_spec("xdist") is not None


def run(options: argparse.Namespace) -> int:
    import pytest

    recorder = _Verdicts(options.strict)
    with tempfile.TemporaryDirectory(prefix="gaobench-check-") as scratch:
        code = pytest.main(pytest_args(options, scratch), plugins=[recorder])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        print(f"gao-dev check: the check session ended with exit code {int(code)}")
        return int(code)
    for name in sorted(set(recorder.by_name) - set(recorder.problems)):
        recorder.problems[name] = recorder.tell(name, recorder.by_name[name]) \
            if "oracle" in recorder.by_name[name] else "the oracle did not run it"
    problems = sum(problem is not None for problem in recorder.problems.values())
    print(f"{len(recorder.problems) - problems} valid, {problems} invalid")
    return EXIT_INVALID if problems else 0


def _problem(nop: Verdict | None, oracle: Verdict) -> str | None:
    if oracle.status != "completed":
        return f"the oracle did not pass it: {oracle} {oracle.reason}".rstrip()
    if nop is None:
        return "the nop agent did not run it"
    if nop.status == "completed":
        return "the nop agent passed it: the benchmark measures nothing"
    if nop.failure_kind in ("config", "infra"):
        return f"the nop agent's run failed before grading: {nop} {nop.reason}".rstrip()
    return None
