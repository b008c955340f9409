"""GaobenchSession: the plugin's state for one pytest process, and the work of each item.

``plugin.py`` only wires hooks and fixtures to this object. It holds nothing that is
shared between items except read-only settings, so xdist workers each have their own.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from .agents import AGENTS, API_AGENTS, Agent
from .baseline import check_baseline
from .boilerplate import BoilerplateManager
from .collect import BenchmarkFailed, BenchmarkItem
from .compare import Comparison
from .credentials import ApiKey, CredentialError, resolve_api_key
from .html_report import write_html
from .ignore import BenchmarkFolders
from .interrupts import SigtermHandler
from .isolation import IsolationUnavailable, choose_isolation
from .key_check import EXIT_BAD_KEY, validate_api_key
from .metrics import MetricsCollector
from .redaction import Redactor
from .report import SummaryRow, junit_properties, render_summary
from .result import BenchmarkResult, worth_inspecting
from .resume import find_resume_point
from .runner import BenchmarkRunner, record_invalid_benchmark
from .sandbox import Sandbox, SandboxManager
from .settings import GaobenchSettings
from .spec import SpecError, SpecIssue, line_of
from .status import utcnow
from .store import ResultStore, StoreError, database_url

SESSION_KEY = pytest.StashKey["GaobenchSession"]()


class GaobenchWarning(pytest.PytestWarning):
    """Something about the set-up that deserves attention but does not stop the session."""


class GaobenchSession:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = GaobenchSettings.of(config)
        self.redactor = Redactor()
        try:
            isolation, warning = choose_isolation(self.settings.isolation, self.settings.dir)
        except IsolationUnavailable as exc:
            raise pytest.UsageError(str(exc)) from None
        if warning and not hasattr(config, "workerinput"):
            config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
        self.sandbox_manager = SandboxManager(self.settings.dir, keep=self.settings.keep,
                                              isolation=isolation)
        self.rows: list[SummaryRow] = []
        self.sigterm = SigtermHandler()
        self.api_key: ApiKey | None = None
        self.store: ResultStore | None = None
        self.started_at = utcnow().isoformat()
        self.comparisons: list[Comparison] = []
        self.gate_notes: list[str] = []
        self.folders = BenchmarkFolders(config.rootpath, self.is_benchmark_file)
        self.agents = dict(AGENTS)
        config.hook.pytest_gaobench_add_agents(agents=self.agents)
        if self.settings.agent not in self.agents:
            raise pytest.UsageError(f"--gaobench-agent: unknown agent {self.settings.agent!r}; "
                                    f"known agents: {', '.join(sorted(self.agents))}")

    @classmethod
    def of(cls, config: pytest.Config) -> GaobenchSession:
        return config.stash[SESSION_KEY]

    def is_benchmark_file(self, path: Path) -> bool:
        return any(path.match(pattern) for pattern in self.config.getini("gaobench_patterns"))

    def make_agent(self) -> Agent:
        return self.agents[self.settings.agent](settings=self.settings, api_key=self.api_key,
                                                model=self.settings.model)

    def _prepare_api_key(self) -> None:
        """Resolve (and, once per session, validate) the key before any benchmark starts."""
        try:
            self.api_key = resolve_api_key(explicit=self.settings.api_key,
                                           key_file=self.settings.api_key_file)
        except CredentialError as exc:
            pytest.exit(f"gaobench: {exc}", returncode=EXIT_BAD_KEY)
        self.redactor.add(self.api_key.value)
        for warning in self.api_key.warnings:
            self.config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
        is_worker = hasattr(self.config, "workerinput")  # xdist: the controller checked
        if not is_worker and not self.config.option.collectonly:
            try:
                validate_api_key(self.api_key)
            except CredentialError as exc:
                pytest.exit(f"gaobench: {self.redactor.text(str(exc))}",
                            returncode=EXIT_BAD_KEY)

    def new_sandbox(self, item: BenchmarkItem) -> Sandbox:
        assert item.spec is not None
        return self.sandbox_manager.create(item.spec.name)

    def finish_sandbox(self, item: BenchmarkItem, sandbox: Sandbox) -> None:
        result = item.gaobench_result
        failed = result is None or worth_inspecting(result.status, result.failure_kind)
        self.sandbox_manager.cleanup(sandbox, failed=failed)

    def run_item(self, item: BenchmarkItem, *, sandbox: Sandbox, boilerplate: BoilerplateManager,
                 metrics: MetricsCollector, agent: Agent) -> None:
        assert item.spec is not None
        spec = item.spec
        wall = self.settings.max_wall_seconds
        if wall and wall < spec.timeout_seconds:
            spec = spec.model_copy(update={"timeout_seconds": wall})
        resume = None
        if self.settings.resume:
            resume = find_resume_point(self.sandbox_manager.runs_dir, item.spec.name,
                                       self.settings.resume)
        runner = BenchmarkRunner(spec, self.sandbox_manager, boilerplate, metrics, agent,
                                 sandbox=sandbox, redactor=self.redactor, resume=resume,
                                 listeners=[lambda result: self._result_ready(item, result)],
                                 attempt=item.attempt)
        result = runner.run()
        if not result.passed:
            raise BenchmarkFailed(result, sandbox.run_dir / "result.json")

    def _store_result(self, result: BenchmarkResult) -> None:
        """Add the run to the database; a database problem costs a warning, not the run."""
        if self.settings.db == "none":
            return
        try:
            if self.store is None:
                self.store = ResultStore(database_url(self.settings.db, self.settings.dir))
            self.store.save(result)
        except StoreError as exc:
            warnings.warn(GaobenchWarning(f"result {result.run_id} was not stored in the "
                                          f"database ({exc}); its result.json is on disk"),
                          stacklevel=2)

    def _gate(self, session: pytest.Session) -> None:
        """The baseline regression gate; a regression makes the session fail."""
        try:
            if self.store is None:
                self.store = ResultStore(database_url(self.settings.db, self.settings.dir))
            assert self.settings.baseline is not None
            self.comparisons, self.gate_notes = check_baseline(
                self.store, self.settings.baseline, [row.run_id for row in self.rows],
                self.started_at, self.settings.baseline_threshold)
        except StoreError as exc:
            self.gate_notes = [f"baseline gate could not read the database: {exc}"]
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        if any(c.regressed for c in self.comparisons):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def report_invalid(self, item: BenchmarkItem) -> None:
        assert item.spec_error is not None
        result = record_invalid_benchmark(item.path, item.spec_error, self.sandbox_manager,
                                          item.name)
        self._result_ready(item, result)
        raise item.spec_error

    def _result_ready(self, item: BenchmarkItem, result: BenchmarkResult) -> None:
        item.gaobench_result = result
        item.user_properties.extend(junit_properties(result))
        self._store_result(result)
        item.ihook.pytest_gaobench_result_ready(result=result, item=item)

    # -- hooks: this object is registered as a plugin; with xdist, the controller sees
    # -- the workers' serialised reports here, so the summary covers every worker.

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        properties = dict(report.user_properties)
        if "status" in properties:
            self.rows.append(SummaryRow.from_properties(report.nodeid, properties))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Two files may not share a benchmark name: results and comparisons go by name."""
        first_file: dict[str, Path] = {}
        for index, item in enumerate(items):
            if not isinstance(item, BenchmarkItem) or item.spec is None:
                continue
            owner = first_file.setdefault(item.spec.name, item.path)
            if owner != item.path:
                error = SpecError([SpecIssue(item.path, line_of(item.path, "name"), "name",
                                             f"benchmark name {item.spec.name!r} is already "
                                             f"used by {owner}")])
                items[index] = BenchmarkItem.invalid(item.parent, item.name, error)

    def pytest_sessionstart(self) -> None:
        self.started_at = utcnow().isoformat()
        if self.settings.agent in API_AGENTS and self.settings.provider == "anthropic":
            self._prepare_api_key()
        self.sigterm.install()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.sigterm.restore()
        is_worker = hasattr(self.config, "workerinput")
        if self.settings.baseline and not is_worker and self.rows:
            self._gate(session)
        if self.settings.html and not is_worker:
            write_html(self.settings.html, self.rows, self.sandbox_manager.runs_dir)
        if self.store is not None:
            self.store.close()

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        reporter = terminalreporter
        if not self.rows:
            return
        reporter.write_sep("=", "gaobench summary")
        for line in render_summary(self.rows):
            reporter.write_line(line)
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
