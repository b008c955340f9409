"""A command-line agent: a real agent program, one process per phase, metered by the proxy.

What Claude Code, Codex, Aider, the others and the command agent share, so that each
adapter says only what is its own (how it is started, which variables and files configure
it, how its output is read) and all of them are measured the same way: the program shown
read-only in the sandbox with its installation, a home of its own in the run folder (no
user settings, credentials or history leak in), the provider's API reached only through
the run's metering proxy with a run token, the turn budget kept (by the agent's own limit
or by the proxy), its output kept beside the transcript with a size cap (and a warning
when it was cut), its stream written into the transcript as messages and tool calls, and
the phase's end read by one set of rules (``outcome``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from ...metering.budget import stricter
from ...metering.credentials import ApiKey
from ...metering.metered_api import MeteredApi, new_run_token
from ...metering.pricing import PriceTable
from ...metering.providers import PROVIDERS, Provider, provider_of_model
from ...model.spec import BenchmarkConfig, Budget
from ...sandbox.agent_runtime import AgentRuntime
from ...sandbox.output import KEPT_HEAD, KEPT_TAIL, keep_output
from ...sandbox.process import CommandResult
from ...sandbox.sandbox import Sandbox
from ...sandbox.untrusted import UntrustedFileError, write_regular
from ..base import AgentError, PhaseContext, SetupError
from ..budget import check_priced, turns_left
from .installation import (
    Installation,
    harness_python,
    installation_of,
    installed_cli,
    narrowest_first,
    protected_paths,
    refuse_protected,
)

FINAL_MESSAGE_CHARS = 8000
"""What the transcript keeps of an agent's last message."""


@dataclass(frozen=True)
class PhaseSetup:
    """What an adapter builds its launch from."""

    model: str
    turns: int | None
    """Turns left in the phase (None: no turn budget)."""
    home: Path
    """The agent's home, writable, kept for the run (later phases find their history);
    made only for an agent with ``own_home``."""
    output: Path
    """Where the process's stdout is written (kept with a size cap)."""
    folder: Path
    """The harness's own folder for this phase: files here are read-only inside."""
    installation: Installation | None
    metered: MeteredApi | None
    """The phase's metered API (None: the agent was given no API access)."""

    @property
    def argv(self) -> list[str]:
        """How to start the agent's program (its interpreter is found on PATH inside)."""
        assert self.installation is not None, "this agent has no program of its own"
        return self.installation.argv

    @property
    def api(self) -> MeteredApi:
        """The metered API of an agent that always has one."""
        assert self.metered is not None, "this agent was given no API access"
        return self.metered


@dataclass
class Launch:
    argv: list[str]
    env: dict[str, str]
    display: str
    """The command as logs show it (no prompt, no token)."""
    logged: dict[str, Any] = field(default_factory=dict)
    """More for the transcript's ``agent_process`` event."""
    readable: list[Path] | None = None
    """Harness paths shown read-only (None: the phase's folder and the installation)."""
    writable: list[Path] | None = None
    """Harness paths the agent may write (None: its home)."""


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


def record_final_message(ctx: PhaseContext, text: str | None) -> None:
    """The agent's last message, in the transcript (cut to ``FINAL_MESSAGE_CHARS``)."""
    if text:
        ctx.note("final_message", text=text[:FINAL_MESSAGE_CHARS])


def record_reading(ctx: PhaseContext, *, tool_calls: int | None,
                   final_message: str | None) -> None:
    """What the agent's own output says of its phase: its tool calls (None: it said
    nothing, so they stay unmeasured) and its last message."""
    if tool_calls is not None:
        ctx.usage.tool_calls = (ctx.usage.tool_calls or 0) + tool_calls
    record_final_message(ctx, final_message)


def write_home_file(setup: PhaseSetup, relative: str, text: str) -> None:
    """Write one of the agent's configuration files into its home, which the agent could
    write in an earlier phase: never through a link, nor into a FIFO or device it left
    there (``untrusted.write_regular``); a home it made so is its own failure."""
    try:
        write_regular(setup.home, relative, text.encode("utf-8"))
    except UntrustedFileError as exc:
        raise AgentError(f"the agent's home holds a link or a special file where its "
                         f"configuration goes ({exc})") from None


def bare_model(model: str) -> str:
    """A model id without a provider prefix (``openai/gpt-5`` is ``gpt-5``)."""
    return model.rsplit("/", 1)[-1]


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
    turns_from_stream: ClassVar[bool] = False
    """Its turns are read from its own output; otherwise they are the calls the proxy
    counted."""
    fixed_env: ClassVar[Mapping[str, str]] = {"NO_COLOR": "1"}
    own_home: ClassVar[bool] = True
    """The agent gets a home of its own in the run folder (``HOME``, writable)."""
    network: bool | None = None
    """The agent process's network, as given to ``Sandbox.run`` (None: the sandbox's)."""

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

    def litellm_model(self, model: str) -> str:
        """``model`` as LiteLLM names it: ``provider/model``."""
        return f"{self.provider_for(model).name}/{bare_model(model)}"

    def model_for(self, config: BenchmarkConfig) -> str:
        """--gaobench-model, else the benchmark's model when this agent can use it (a
        benchmark written for Claude still runs with Codex), else the default."""
        own = config.model if config.model and self.provider_name in (
            None, provider_of_model(config.model).name) else None
        return self.model or own or self.default_model

    def cli(self) -> Path:
        return installed_cli(self.executable, self.program, self.label, self.install_hint)

    def installation(self, config: BenchmarkConfig) -> Installation | None:
        """The program to start, with what the sandbox shows for it."""
        return installation_of(self.cli())

    def shown(self, config: BenchmarkConfig) -> list[Path]:
        """The harness's folders the agent's program needs shown."""
        installation = self.installation(config)
        return installation.folders if installation else []

    def key_for(self, config: BenchmarkConfig) -> ApiKey | None:
        """The key the phase is metered with (None: the agent has no API access)."""
        provider = self.provider_for(self.model_for(config))
        key = self.api_keys.get(provider.name)
        if key is None:
            article = "an" if provider.label[0] in "AEIOU" else "a"
            raise SetupError(f"the {self.name} agent needs {article} {provider.label} API key "
                             f"({provider.key_env}; it reaches the API through the "
                             f"harness's metering proxy)")
        return key

    def preflight(self, config: BenchmarkConfig, sandbox: Sandbox) -> None:
        """Before any work: the program is installed, nothing it needs shown holds what
        the agent may not see, and there is a key to meter with. For a container, what
        it needs there is told to the sandbox before the container starts."""
        protected = protected_paths(config, sandbox.runs_root)
        refuse_protected([*self.shown(config), *sandbox.shown], protected,
                         f"the {self.label}")
        if config.container is not None:
            runtime = self.container_runtime(config, sandbox)
            refuse_protected(list(runtime.mounts), protected, f"the {self.label}")
            sandbox.agent_runtime = runtime

    def container_runtime(self, config: BenchmarkConfig, sandbox: Sandbox) -> AgentRuntime:
        """What a container shows for the agent: its installation, what the user asked
        shown, and this interpreter when the forwarder to the metering proxy runs in it."""
        forwarder = harness_python() if self.key_for(config) is not None else None
        parts = [part for part in (self.installation(config), forwarder) if part is not None]
        return AgentRuntime(
            label=self.label,
            mounts=tuple(narrowest_first([*(path for part in parts for path in part.runtime),
                                          *sandbox.shown])),
            probes=tuple(tuple(part.probe) for part in parts),
            forwarder_python=str(forwarder.program) if forwarder is not None else None)

    def output_for(self, ctx: PhaseContext, folder: Path) -> Path:
        return ctx.sandbox.run_dir / f"{self.program}-{ctx.stem}.{self.output_suffix}"

    def run_phase(self, ctx: PhaseContext) -> None:
        self.preflight(ctx.config, ctx.sandbox)
        key = self.key_for(ctx.config)
        model = self.model_for(ctx.config)
        budget = stricter(ctx.config.budget, self.budget)
        if key is not None and model:  # an undeclared model is priced call by call
            check_priced(ctx, self.prices, model, budget)
        turns = turns_left(ctx, budget)
        home = ctx.sandbox.run_dir / "agent-home"
        if self.own_home:
            home.mkdir(parents=True, exist_ok=True)
        folder = ctx.sandbox.run_dir / f"agent-{ctx.stem}"
        folder.mkdir(parents=True, exist_ok=True)
        output = self.output_for(ctx, folder)
        installation = self.installation(ctx.config)
        with self._metered(ctx, key, budget, model, turns) as api:
            setup = PhaseSetup(model=model, turns=turns, home=home, output=output,
                               folder=folder, installation=installation, metered=api)
            launch = self.launch(ctx, setup)
            ctx.note("agent_process", program=self.program, model=model, max_turns=turns,
                     output=output.name, **launch.logged)
            shown = installation.folders if installation else []
            done = ctx.sandbox.run(
                launch.argv, timeout=max(ctx.remaining(), 0.001),
                env={**self.fixed_env, **({"HOME": str(home)} if self.own_home else {}),
                     **launch.env}, network=self.network,
                writable=[home] if launch.writable is None else launch.writable,
                readable=[*([folder, *shown] if launch.readable is None else launch.readable),
                          *ctx.sandbox.shown],
                service=api.service if api else None, stdout_path=output,
                cancel=api.state.stop_agent if api else None, on_wait=ctx.alive,
                display=launch.display)
        written = keep_output(output, ctx.log.redactor.text)
        if written > KEPT_HEAD + KEPT_TAIL:
            ctx.warn(f"the agent printed {written} bytes: {output.name} keeps its first "
                     f"{KEPT_HEAD} and last {KEPT_TAIL} bytes")
        for entry in self.transcript_entries(json_events(output)):
            kind = str(entry.pop("kind"))
            ctx.note(kind, **{name: value for name, value in entry.items()
                              if not (name == "at" and value is None)})
        if api is not None and not self.turns_from_stream:
            ctx.usage.turns = (ctx.usage.turns or 0) + api.state.calls
        self.finish(ctx, setup, done)

    def _metered(self, ctx: PhaseContext, key: ApiKey | None, budget: Budget, model: str,
                 turns: int | None) -> AbstractContextManager[MeteredApi | None]:
        if key is None:
            return nullcontext(None)
        private = ctx.sandbox.private_network(self.network)
        return MeteredApi(ctx, api_key=key, token=self.token, prices=self.prices,
                          budget=budget, model=model, provider=self.provider_for(model),
                          socket_url=ctx.sandbox.service_url if private else None,
                          socket_folder=ctx.sandbox.service_folder,
                          max_calls=turns if self.proxy_keeps_turns else None,
                          allowed_tools=frozenset(ctx.config.api_tools))

    def transcript_entries(self, events: Iterable[dict[str, Any]]
                           ) -> Iterable[dict[str, Any]]:
        """The agent's stream as transcript entries (``kind`` and its fields): its set-up,
        its messages, its tool calls and their results. The report reads only these."""
        return ()

    @abstractmethod
    def launch(self, ctx: PhaseContext, setup: PhaseSetup) -> Launch:
        """The phase's command line and environment (configuration files written)."""

    @abstractmethod
    def finish(self, ctx: PhaseContext, setup: PhaseSetup, done: CommandResult) -> None:
        """Read the agent's output into the phase's numbers; raise what its end means."""
