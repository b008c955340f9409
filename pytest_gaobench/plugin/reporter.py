"""What the session reports at its end: the gaobench summary, the baseline gate, HTML.

Registered as a plugin object in every pytest run (with xdist, the controller's copy sees
every worker's serialised reports in ``pytest_runtest_logreport``, so the summary covers
all of them); it does nothing and imports nothing heavy until a benchmark report arrives.
"""

from __future__ import annotations

import shlex
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .settings import GaobenchSettings
from .state import session_of

if TYPE_CHECKING:
    from ..results.compare import Comparison
    from ..results.summary import SummaryRow
    from .progress import EventsWatcher


class GaobenchReporter:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.rows: list[SummaryRow] = []
        self.started_at = datetime.now(UTC).isoformat()
        self.started_wall = time.time()
        self.comparisons: list[Comparison] = []
        self.gate_notes: list[str] = []
        self.watcher: EventsWatcher | None = None
        self.session_interrupted = False
        self.interrupted: list[str] = []
        """Node ids of benchmarks an interrupt stopped mid-run."""
        self.is_controller = bool(getattr(config.option, "numprocesses", None)) \
            and not self.is_worker
        """An xdist controller: runs nothing itself, prints what its workers' runs do."""

    @property
    def settings(self) -> GaobenchSettings:
        return GaobenchSettings.of(self.config)

    def pytest_sessionstart(self) -> None:
        self.started_at = datetime.now(UTC).isoformat()
        self.started_wall = time.time()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Under xdist, the first benchmark a worker starts starts the progress watcher."""
        if not self.is_controller or self.watcher is not None:
            return
        if self.settings.is_benchmark_file(Path(nodeid.split("::")[0])):
            from .progress import EventsWatcher

            self.watcher = EventsWatcher(self.config, self.settings.dir / "runs",
                                         since=self.started_wall)
            self.watcher.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        properties = dict(report.user_properties)
        if "status" in properties and "run_id" in properties:
            from ..results.summary import SummaryRow

            details = report.longreprtext if report.failed else ""
            warnings = tuple(str(value) for name, value in report.user_properties
                             if name == "warning")
            self.rows.append(SummaryRow.from_properties(report.nodeid, properties, details,
                                                        warnings))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.session_interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        if self.session_interrupted and not self.is_worker:
            self._report_interrupted(session)
        if self.is_worker or not self.rows:
            return
        if self.settings.baseline:
            self._gate(session)
        if self.settings.html:
            self._write_html()

    def _report_interrupted(self, session: pytest.Session) -> None:
        """The benchmark Ctrl-C or SIGTERM stopped never got its reports (the interrupt
        left pytest's test protocol): report it now as a failed test, with its result's
        properties, so the JUnit file and the summary name it."""
        from .collect import BenchmarkItem

        reported = {row.run_id for row in self.rows}
        for item in session.items:
            result = getattr(item, "gaobench_result", None)
            if not isinstance(item, BenchmarkItem) or result is None \
                    or result.run_id in reported:
                continue
            self.interrupted.append(item.nodeid)
            common: dict[str, Any] = {"nodeid": item.nodeid, "location": item.location,
                                      "keywords": {item.name: 1},
                                      "user_properties": list(item.user_properties)}
            item.ihook.pytest_runtest_logreport(report=pytest.TestReport(
                outcome="failed", when="call",
                longrepr=result.headline() + "\n" + result.summary(), **common))
            item.ihook.pytest_runtest_logreport(report=pytest.TestReport(
                outcome="passed", when="teardown", longrepr=None, **common))

    def _write_html(self) -> None:
        """The session's runs, with the recent runs of the same benchmarks from the
        database for the trend (when there is one)."""
        from ..results.html import load_results, write_report
        from ..results.store import StoreError

        assert self.settings.html is not None
        runs_dir = self.settings.dir / "runs"
        results = load_results(runs_dir, [row.run_id for row in self.rows])
        names = {result.benchmark.name for result in results}
        try:
            history = [r for r in session_of(self.config).database.store().results(limit=2000)
                       if r.benchmark.name in names]
        except StoreError:
            history = []
        write_report(self.settings.html, results, runs_dir, history=history)

    def _gate(self, session: pytest.Session) -> None:
        """The baseline regression gate; a regression makes the session fail."""
        from ..results.baseline import check_baseline
        from ..results.store import StoreError

        assert self.settings.baseline is not None
        try:
            self.comparisons, self.gate_notes = check_baseline(
                session_of(self.config).database.store(), self.settings.baseline,
                [row.run_id for row in self.rows], self.started_at,
                self.settings.baseline_threshold)
        except StoreError as exc:
            self.gate_notes = [f"baseline gate could not read the database: {exc}"]
            _fail(session)
            return
        if any(c.regressed for c in self.comparisons):
            _fail(session)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        reporter = terminalreporter
        if not self.rows:
            return
        from ..results.formatting import terminal_safe
        from ..results.summary import render_summary

        reporter.write_sep("=", "gaobench summary")
        for line in render_summary(self.rows):
            reporter.write_line(terminal_safe(line))
        if self.settings.baseline:
            regressed = [c for c in self.comparisons if c.regressed]
            reporter.write_sep("=", f"gaobench baseline {self.settings.baseline}: "
                                    f"{len(regressed)} regressed of {len(self.comparisons)}")
            for comparison in regressed:
                for line in comparison.table():
                    reporter.write_line(line)
            for note in self.gate_notes:
                reporter.write_line(note)
        reporter.write_line(f"runs: {self.settings.dir / 'runs'}")
        if self.session_interrupted:
            for row in self.rows:
                if row.failure_kind == "interrupted":
                    reporter.write_line(f"interrupted: {row.benchmark} [{row.run_id}] at "
                                        f"{self.settings.dir / 'runs' / row.run_id}")
            args = [arg for arg in self.config.invocation_params.args
                    if not arg.startswith("--gaobench-resume")]
            reporter.write_line("continue the unfinished runs from their last completed "
                                "phase with:")
            reporter.write_line(f"  {shlex.join(['pytest', *args, '--gaobench-resume'])}")


def _fail(session: pytest.Session) -> None:
    """The gate turns a passing session into a failing one; an interrupted session (2), a
    usage error or an internal error keeps its own exit code."""
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
