"""GaobenchSession: the plugin's state for one pytest process, and the run of each item.

It holds the session's settings, the sandbox manager, the agents known by name, the
API key, the redactor and the results database; it builds a ``BenchmarkRunner`` per
item. It knows nothing of items or reports: ``collect`` calls it, one way. xdist
workers each have their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from ..agents import AGENTS, Agent, AgentFactory, price_table, providers_needed
from ..logs.redaction import Redactor
from ..metering.credentials import ApiKey
from ..metering.pricing import PriceFileError
from ..model.result import BenchmarkResult, worth_inspecting
from ..model.spec import BenchmarkConfig
from ..run.collector import MetricsCollector
from ..run.resume import RunKey, find_resume_point
from ..run.runner import BenchmarkRunner, model_of
from ..sandbox.boilerplate import BoilerplateManager
from ..sandbox.isolation import IsolationUnavailable, choose_isolation
from ..sandbox.sandbox import Sandbox, SandboxManager
from .api_key import KeyStop, prepare_api_key, prepare_provider_key
from .database import SessionDatabase
from .interrupts import SigtermHandler, pytest_interruption
from .progress import TerminalProgress
from .settings import GaobenchSettings
from .warning import GaobenchWarning


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
                                              isolation=isolation,
                                              shown=self.settings.sandbox_show,
                                              container_engine=self.settings.container)
        self.database = SessionDatabase(self.settings.db_url)
        self.sigterm = SigtermHandler()
        self.started = False
        self.api_keys: dict[str, ApiKey] = {}
        self.keys_ready = False
        # xdist's workers share the controller's test run id; without xdist, one process.
        worker = getattr(config, "workerinput", None)
        self.session_id: str = (worker or {}).get("testrunuid") or uuid.uuid4().hex
        """This pytest session, recorded on every run (its repeats belong together)."""
        self.agents: dict[str, AgentFactory] = dict(AGENTS)
        config.hook.pytest_gaobench_add_agents(agents=self.agents)
        for name in self.settings.agents:
            if name not in self.agents:
                raise pytest.UsageError(f"--gaobench-agent: unknown agent {name!r}; known "
                                        f"agents: {', '.join(sorted(self.agents))}")
        self.providers = list(dict.fromkeys(
            provider for name in self.settings.agents
            for provider in providers_needed(name, self.settings)))
        """Whose API keys the agents need (resolved and checked at the start)."""
        if self.providers:
            check_prices(self.settings)

    def prepare_keys(self) -> None:
        """The agents' API keys, found and checked once; ``KeyStop`` when the session must
        not start."""
        if self.keys_ready:
            return
        for provider in self.providers:
            if provider != "anthropic":
                self.api_keys[provider] = prepare_provider_key(self.config, provider,
                                                               self.redactor)
            elif self.settings.provider == "anthropic":  # (Bedrock and Vertex: their SDK's)
                self.api_keys[provider] = prepare_api_key(self.config, self.settings,
                                                          self.redactor)
        self.keys_ready = True

    def start(self) -> None:
        """Before the first benchmark: the API keys (where pytest_cmdline_main did not
        prepare them already), the SIGTERM handler."""
        self.started = True
        try:
            self.prepare_keys()
        except KeyStop as stopped:
            pytest.exit(stopped.message, returncode=stopped.code)
        self.sigterm.install()

    def finish(self) -> None:
        self.sigterm.restore()
        self.database.close()

    def make_agent(self, name: str, model: str | None) -> Agent:
        """A fresh agent for one run: ``name`` and ``model`` are one of the session's."""
        return self.agents[name](settings=self.settings, api_key=self.api_keys.get("anthropic"),
                                 api_keys=self.api_keys, model=model)

    def new_sandbox(self, spec: BenchmarkConfig) -> Sandbox:
        return self.sandbox_manager.create(spec.name)

    def finish_sandbox(self, sandbox: Sandbox, result: BenchmarkResult | None) -> None:
        """The sandbox fixture's teardown: remove the workspace unless worth inspecting."""
        failed = result is None or worth_inspecting(result.status, result.failure_kind)
        self.sandbox_manager.cleanup(sandbox, failed=failed)

    def run(self, spec: BenchmarkConfig, *, node_id: str, attempt: int | None, sandbox: Sandbox,
            boilerplate: BoilerplateManager, metrics: MetricsCollector, agent: Agent,
            on_result: Callable[[BenchmarkResult], None]) -> BenchmarkResult:
        """One benchmark run with the session's settings; ``on_result`` hears the result
        as soon as it is written, even when the run is interrupted."""
        wall = self.settings.max_wall_seconds
        if wall and wall < spec.timeout_seconds:
            spec = spec.model_copy(update={"timeout_seconds": wall})
        resume = None
        if self.settings.resume:
            key = RunKey(spec.name, agent.name, model_of(agent, spec), attempt)
            resume = find_resume_point(self.sandbox_manager.runs_dir, key,
                                       self.settings.resume)  # claimed once restored
        # An xdist worker's output is not shown: the controller reads events.jsonl instead.
        progress = None if hasattr(self.config, "workerinput") else TerminalProgress(self.config)
        runner = BenchmarkRunner(spec, self.sandbox_manager, boilerplate, metrics, agent,
                                 sandbox=sandbox, redactor=self.redactor, resume=resume,
                                 listeners=[on_result], attempt=attempt,
                                 batch=self.settings.batch, node_id=node_id,
                                 session=self.session_id,
                                 interruption=pytest_interruption, progress=progress,
                                 alive_seconds=self.settings.progress_seconds)
        return runner.run()


def check_prices(settings: GaobenchSettings) -> None:
    """A bad price file, or a cost budget for a --gaobench-model with no known price, is a
    usage error before anything runs (a benchmark's own `model` is checked at its start)."""
    try:
        prices = price_table(settings)
    except PriceFileError as exc:
        raise pytest.UsageError(f"--gaobench-prices: {exc}") from None
    for model in settings.models:
        if model and settings.budget.max_cost_usd is not None \
                and prices.lookup(model) is None:
            raise pytest.UsageError(
                f"--gaobench-max-cost-usd cannot be kept for --gaobench-model {model}: its "
                f"price is unknown; give it with --gaobench-prices FILE")
