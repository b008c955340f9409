"""StandaloneRunner: run a benchmark with the Anthropic API agent from Python, no pytest.

For scripts and schedulers that want one call per benchmark:

    runner = StandaloneRunner(api_key_file="~/.anthropic-key", sandbox_root=Path("runs"))
    if runner.validate_api_key():
        result = runner.run_benchmark("benchmarks/bench_todo_cli.yaml")

The key is resolved as everywhere else (argument, key file, ``ANTHROPIC_API_KEY``, the
config file), registered with the redactor at once, and never written anywhere.
"""

from __future__ import annotations

from pathlib import Path

from ..agents.toolloop.anthropic import AnthropicAgent, AnthropicSettings
from ..logs.redaction import Redactor
from ..metering.credentials import ApiKey, CredentialError, resolve_api_key
from ..metering.key_check import validate_api_key
from ..model.result import BenchmarkResult
from ..model.spec import BenchmarkConfig, Budget
from ..sandbox.boilerplate import BoilerplateManager
from ..sandbox.git_cache import GitCache
from ..sandbox.isolation import IsolationMode, choose_isolation
from ..sandbox.sandbox import SandboxManager
from ..specfile.load import load_spec
from .collector import MetricsCollector
from .runner import BenchmarkRunner


class StandaloneRunner:
    def __init__(self, api_key: str | None = None, api_key_file: str | Path | None = None,
                 sandbox_root: Path = Path("sandbox"), *, model: str | None = None,
                 budget: Budget | None = None,
                 isolation: IsolationMode = IsolationMode.AUTO) -> None:
        """Raises ``CredentialError`` (a clear message, never the key) when there is no
        usable key. Results go to ``sandbox_root/runs/<run_id>/result.json``."""
        self._key: ApiKey = resolve_api_key(explicit=api_key, key_file=api_key_file)
        self.redactor = Redactor([self._key.value])
        self.sandbox_root = Path(sandbox_root)
        self.model = model
        self.budget = budget or Budget()
        self.isolation, self.isolation_warning = choose_isolation(isolation,
                                                                  self.sandbox_root)

    def validate_api_key(self) -> bool:
        """One real, cheap API call: whether the API accepts the key."""
        try:
            validate_api_key(self._key)
        except CredentialError:
            return False
        return True

    def run_benchmark(self, config: BenchmarkConfig | str | Path) -> BenchmarkResult:
        """Run one benchmark (a loaded config or its YAML file) with the anthropic agent;
        the result is returned and saved under ``sandbox_root``."""
        spec = config if isinstance(config, BenchmarkConfig) else load_spec(Path(config))
        agent = AnthropicAgent(AnthropicSettings(api_key=self._key, model=self.model,
                                                 budget=self.budget))
        sandboxes = SandboxManager(self.sandbox_root, isolation=self.isolation)
        boilerplates = BoilerplateManager(git_cache=GitCache(self.sandbox_root / "cache"
                                                             / "git"))
        runner = BenchmarkRunner(spec, sandboxes, boilerplates, MetricsCollector(), agent,
                                 redactor=self.redactor)
        result = runner.run()
        if self.isolation_warning and self.isolation_warning not in result.warnings:
            result.warnings.append(self.isolation_warning)
        return result
