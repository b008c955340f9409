"""A named CLI agent: a real agent program, one process per phase, metered by the proxy.

What Claude Code, Codex, Aider and the others share, so that each adapter says only what
is its own (how it is started, which variables and files configure it, how its output is
read) and all of them are measured the same way: the program resolved with its
installation (shown read-only in the sandbox), a home of its own in the run folder (no
user settings, credentials or history leak in), the provider's API reached only through
the run's metering proxy with a run token, the turn budget kept (by the agent's own limit
or by the proxy), its output kept beside the transcript with a size cap, and the phase's
end read by one set of rules (``cli_outcome``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from ..model.spec import BenchmarkConfig, Budget
from ..sandbox.output import keep_output
from ..sandbox.process import CommandResult
from ..sandbox.sandbox import Sandbox
from .base import PhaseContext, SetupError
from .budget import check_priced, stricter, turns_left
from .credentials import ApiKey
from .installation import (
    Installation,
    installation_of,
    installed_cli,
    protected_paths,
    refuse_protected,
)
from .metering import MeteredApi, new_run_token
from .pricing import PriceTable
from .providers import PROVIDERS, Provider, provider_of_model


@dataclass(frozen=True)
class PhaseSetup:
    """What an adapter builds its launch from."""

    model: str
    turns: int | None
    """Turns left in the phase (None: no turn budget)."""
    home: Path
    """The agent's home, writable, kept for the run (later phases find their history)."""
    output: Path
    """Where the process's stdout is written (kept with a size cap)."""
    folder: Path
    """The harness's own folder for this phase: files here are read-only inside."""
    installation: Installation
    api: MeteredApi


@dataclass
class Launch:
    argv: list[str]
    env: dict[str, str]
    display: str
    """The command as logs show it (no prompt, no token)."""
    logged: dict[str, Any] = field(default_factory=dict)
    """More for the transcript's ``agent_process`` event."""


def json_events(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of an agent's JSON-lines output as the harness kept it (bounded by
    ``keep_output``): other lines, and lines that are not JSON objects, are skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                event = json.loads(line) if line.startswith("{") else None
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event


class EventReader(Protocol):
    """What an agent's stream becomes: fed its events one at a time."""

    def read(self, event: dict[str, Any]) -> None: ...


Reader = TypeVar("Reader", bound=EventReader)


def read_stream(path: Path, reader: Reader) -> Reader:
    """``reader`` fed every event of the stream as the harness kept it (bounded by
    ``keep_output``)."""
    for event in json_events(path):
        reader.read(event)
    return reader


class CliAgent(ABC):
    name: ClassVar[str]
    program: ClassVar[str]
    """The command on PATH."""
    label: ClassVar[str]
    install_hint: ClassVar[str]
    default_model: ClassVar[str]
    provider_name: ClassVar[str | None] = "anthropic"
    """Whose API it speaks; None: any, the model's provider (an agent on LiteLLM...)."""
    output_suffix: ClassVar[str] = "jsonl"
    proxy_keeps_turns: ClassVar[bool] = True
    """The agent has no turn limit of its own: the proxy refuses the call past it."""

    def __init__(self, *, api_keys: Mapping[str, ApiKey] | None = None,
                 model: str | None = None, budget: Budget | None = None,
                 prices: PriceTable | None = None, executable: str | None = None) -> None:
        """``api_keys``: the harness's keys by provider (the agent only sees a run
        token); ``executable``: the program to run (default: the one on PATH)."""
        self.api_keys = dict(api_keys or {})
        self.model = model
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.shipped()
        self.executable = executable
        self.token = new_run_token()

    def provider_for(self, model: str) -> Provider:
        """Whose API the agent reaches with ``model``."""
        if self.provider_name is None:
            return provider_of_model(model)
        return PROVIDERS[self.provider_name]

    def model_for(self, config: BenchmarkConfig) -> str:
        """--gaobench-model, else the benchmark's model when this agent can use it (a
        benchmark written for Claude still runs with Codex), else the default."""
        own = config.model if config.model and self.provider_name in (
            None, provider_of_model(config.model).name) else None
        return self.model or own or self.default_model

    def cli(self) -> Path:
        return installed_cli(self.executable, self.program, self.label, self.install_hint)

    def key_for(self, config: BenchmarkConfig) -> ApiKey:
        provider = self.provider_for(self.model_for(config))
        key = self.api_keys.get(provider.name)
        if key is None:
            article = "an" if provider.label[0] in "AEIOU" else "a"
            raise SetupError(f"the {self.name} agent needs {article} {provider.label} API key "
                             f"({provider.key_env}; it reaches the API through the "
                             f"harness's metering proxy)")
        return key

    def preflight(self, config: BenchmarkConfig, sandbox: Sandbox) -> None:
        """Before any work: the CLI is installed, nothing it needs shown holds what the
        agent may not see, and there is a key to meter with."""
        shown = [*installation_of(self.cli()).folders, *sandbox.shown]
        refuse_protected(shown, protected_paths(config, sandbox.runs_root), f"the {self.label}")
        self.key_for(config)

    def run_phase(self, ctx: PhaseContext) -> None:
        self.preflight(ctx.config, ctx.sandbox)
        key = self.key_for(ctx.config)
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.budget)
        check_priced(ctx, self.prices, model, budget)
        turns = turns_left(ctx, budget)
        home = ctx.sandbox.run_dir / "agent-home"
        home.mkdir(parents=True, exist_ok=True)
        stem = f"{ctx.phase_index + 1:02d}-{ctx.phase.phase_name}"
        folder = ctx.sandbox.run_dir / f"agent-{stem}"
        folder.mkdir(parents=True, exist_ok=True)
        output = ctx.sandbox.run_dir / f"{self.program}-{stem}.{self.output_suffix}"
        installation = installation_of(self.cli())
        with MeteredApi(ctx, api_key=key, token=self.token, prices=self.prices,
                        budget=budget, model=model, provider=self.provider_for(model),
                        max_calls=turns if self.proxy_keeps_turns else None) as api:
            setup = PhaseSetup(model=model, turns=turns, home=home, output=output,
                               folder=folder, installation=installation, api=api)
            launch = self.launch(ctx, setup)
            ctx.log.transcript("agent_process", phase=ctx.phase.phase_name,
                               program=self.program, model=model, max_turns=turns,
                               output=output.name, **launch.logged)
            done = ctx.sandbox.run(
                launch.argv, timeout=max(ctx.remaining(), 0.001),
                env={"HOME": str(home), "NO_COLOR": "1", **launch.env},
                writable=[home],
                readable=[folder, *installation.folders, *ctx.sandbox.shown],
                service=api.service, stdout_path=output, cancel=api.state.stop_agent,
                on_wait=ctx.alive, display=launch.display)
        keep_output(output, ctx.log.redactor.text)
        self.finish(ctx, setup, done)

    @abstractmethod
    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        """The phase's command line and environment (configuration files written)."""

    @abstractmethod
    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        """Read the agent's output into the phase's numbers; raise what its end means."""
