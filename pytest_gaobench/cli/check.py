"""gao-dev check [PATHS]: is each benchmark valid? The nop agent must fail it (else it
measures nothing) and the oracle must pass it (else it cannot be solved, or is graded
wrong). The forger (a wrong solution with the known in-process forging tricks) should fail
it: one it passes is "forgeable in process" (a warning; invalid with ``--strict``). Each
runs as a real pytest session, in a throwaway gaobench folder."""

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


class _Verdicts:
    """Each benchmark's status, from the reports pytest produces."""

    def __init__(self) -> None:
        self.by_name: dict[str, Verdict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if report.when == "call" and "status" in properties:
            reason = report.longreprtext.splitlines()[0] if report.failed else ""
            kind = properties.get("failure_kind")
            self.by_name[report.nodeid.split("::")[-1]] = Verdict(
                str(properties["status"]), None if kind is None else str(kind), reason)


def add_command(commands: Any) -> None:
    check = commands.add_parser("check", help="check that benchmarks are valid: the nop "
                                              "agent fails them and the oracle passes them")
    check.add_argument("paths", nargs="*", default=["benchmarks"], metavar="PATH",
                       help="benchmark files or folders (default: benchmarks)")
    check.add_argument("--strict", action="store_true",
                       help="a benchmark the forger agent passes is invalid, not a warning")


def run(options: argparse.Namespace) -> int:
    import pytest

    with tempfile.TemporaryDirectory(prefix="gaobench-check-") as scratch:
        verdicts: dict[str, dict[str, Verdict]] = {}
        for agent in ("nop", "oracle", "forger"):
            recorder = _Verdicts()
            code = pytest.main([*options.paths, "-p", "no:cacheprovider", "-p", "no:terminal",
                                f"--gaobench-agent={agent}", f"--gaobench-dir={scratch}/{agent}",
                                "--gaobench-db=none"], plugins=[recorder])
            if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
                print(f"gao-dev check: the {agent} session ended with exit code {int(code)}")
                return int(code)
            verdicts[agent] = recorder.by_name
    problems = 0
    for name in sorted(verdicts["oracle"]):
        nop, oracle = verdicts["nop"].get(name), verdicts["oracle"][name]
        problem = _problem(nop, oracle)
        forger = verdicts["forger"].get(name)
        forgeable = forger is not None and forger.status == "completed"
        if problem is None and forgeable and options.strict:
            problem = FORGEABLE
        problems += problem is not None
        print(f"{'INVALID' if problem else 'valid':8} {name}: "
              f"{problem or f'nop {nop}, oracle {oracle}, forger {forger}'}")
        if forgeable and problem is None:
            print(f"{'warning':8} {name}: {FORGEABLE}")
    print(f"{len(verdicts['oracle']) - problems} valid, {problems} invalid")
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
