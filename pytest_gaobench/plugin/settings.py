"""The plugin's settings: one resolver for command line, ini file and defaults.

As in pytest-timeout, a value comes from the command line if given there, else from
the ini file, else the default; a bad value is reported with where it came from.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..model.spec import Budget

from ..results.db_url import database_url
from ..sandbox.isolation import IsolationMode

DEFAULT_PATTERNS = ("bench_*.yaml", "bench_*.yml")
BATCH_ENV = "GAOBENCH_BATCH"
_KEY = pytest.StashKey["GaobenchSettings"]()


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    default: str | None = None
    flag: bool = False
    const: str | None = None
    """For an option whose value may be left out: the value it then takes."""
    ini: bool = True
    """False for secrets: they are never read from an ini file."""
    multiple: bool = False
    """May be given more than once (the ini key then holds several, comma-separated)."""

    @property
    def option(self) -> str:
        return f"--{self.name.replace('_', '-')}"


SETTINGS = (
    Setting("gaobench_agent", "agent driver that does the work (oracle, nop, anthropic, "
            "claude-code, command, replay); give it more than once to compare agents",
            "oracle", multiple=True),
    Setting("gaobench_agent_command", "command template of the command agent, over the "
            "benchmark's `agent_command:` (the ini key is the default under both)"),
    Setting("gaobench_agent_env", "environment variables the command agent receives from "
            "the harness, comma-separated; ANTHROPIC_API_KEY, OPENAI_API_KEY or "
            "GEMINI_API_KEY gives it that provider's metering proxy and a run token, never "
            "the key", multiple=True),
    Setting("gaobench_agent_network", "give the command agent the host's network (an agent "
            "that calls its own API with its own key); without it, a sandboxed command agent "
            "reaches only the metering proxy", flag=True),
    Setting("gaobench_sandbox_show", "a folder or file the CLI agents see read-only in the "
            "sandbox, beyond their own installation (found by itself); give it more than "
            "once", multiple=True),
    Setting("gaobench_dir", "where runs, results and the database go (default: "
            "<rootdir>/.gaobench)"),
    Setting("gaobench_keep", "keep every sandbox workspace, not only failed ones", flag=True),
    Setting("gaobench_model", "model for API agents, overriding the benchmark's `model`; "
            "give it more than once to compare models", multiple=True),
    Setting("gaobench_timeout_grace", "seconds the pytest-timeout backstop allows past a "
            "benchmark's own timeout and grading time", "60"),
    Setting("gaobench_baseline", "fail the session when a run regressed against REF: "
            "'latest' (each benchmark's newest earlier run) or a run id"),
    Setting("gaobench_baseline_threshold", "percent by which a metric may get worse before "
            "the baseline gate fails", "10"),
    Setting("gaobench_html", "write an HTML page of the session's runs here"),
    Setting("gaobench_progress_seconds", "live progress: at most one 'still working' line per "
            "run this often (0: every turn and tool call)", "10"),
    Setting("gaobench_batch", "a batch id recorded on every run, tying the shards of one "
            "logical run together (default: $GAOBENCH_BATCH)"),
    Setting("gaobench_repeat", "run every benchmark N times (overrides `repeats:`)"),
    Setting("gaobench_resume", "continue interrupted or infra-failed runs from their last "
            "completed phase: the latest one of each benchmark, or RUN_ID", const="latest"),
    Setting("gaobench_api_key", "Anthropic API key (prefer --gaobench-api-key-file or "
            "ANTHROPIC_API_KEY: a command line can be seen by other users)", ini=False),
    Setting("gaobench_api_key_file", "file holding the Anthropic API key"),
    Setting("gaobench_provider", "API provider of the anthropic agent: anthropic, bedrock "
            "or vertex", "anthropic"),
    Setting("gaobench_max_cost_usd", "budget per run in USD (the stricter of this and the "
            "benchmark's applies)"),
    Setting("gaobench_max_tokens", "budget of tokens per run"),
    Setting("gaobench_max_turns", "budget of model turns per run"),
    Setting("gaobench_max_wall_seconds", "wall-time budget per run: caps each benchmark's "
            "timeout_seconds (a run past it ends as TIMEOUT)"),
    Setting("gaobench_prices", "JSON file of model prices (USD per million tokens, the shipped "
            "metering/data/prices.json format) added to the shipped ones"),
    Setting("gaobench_max_retries", "retries of a failing API call before the run is an "
            "infra failure", "6"),
    Setting("gaobench_retry_base", "seconds before the first retry; doubled each time, "
            "unless the API says retry-after", "1"),
    Setting("gaobench_record", "record each anthropic run as a replay cassette in this folder"),
    Setting("gaobench_db", "results database: an SQLAlchemy URL or an SQLite file (default: "
            "<gaobench dir>/results.db); 'none' keeps results in files only"),
    Setting("gaobench_isolation", "run sandbox commands under bubblewrap: auto (when it "
            "works here, else warn), required, or none", "auto"),
    Setting("gaobench_cassettes", "folder of cassettes for the replay agent (default: "
            "cassettes/ beside each benchmark file)"),
    Setting("gaobench_container", "the container engine of benchmarks with a container "
            "environment: podman or docker (default: whichever is installed)"),
)
PROVIDERS = ("anthropic", "bedrock", "vertex")


@dataclass(frozen=True)
class GaobenchSettings:
    agents: tuple[str, ...]
    """The agents every benchmark runs with (one item each)."""
    dir: Path
    keep: bool
    models: tuple[str | None, ...]
    """The models every benchmark runs with; (None,) keeps each benchmark's own."""
    timeout_grace: float
    resume: str | None
    """'latest', a run id, or None (start every run afresh)."""
    api_key: str | None = field(repr=False)
    api_key_file: str | None
    provider: str
    max_cost_usd: float | None
    max_tokens: int | None
    max_turns: int | None
    max_retries: int
    retry_base: float
    record_dir: Path | None
    prices: Path | None
    """A user's price file, added to the shipped prices."""
    cassette_dir: Path | None
    isolation: IsolationMode
    db: str | None
    """The --gaobench-db value as given: a URL, a file, 'none' or None (the default)."""
    max_wall_seconds: float | None
    repeat: int | None
    baseline: str | None
    baseline_threshold: float
    html: Path | None
    patterns: tuple[str, ...]
    """Globs of benchmark file names (ini gaobench_patterns)."""
    batch: str | None
    """The batch id of every run of this session (shards of one CI run share it)."""
    agent_command: str | None = None
    """The command agent's template from the command line (over the benchmark's)."""
    agent_command_default: str | None = None
    """The ini file's template (under the benchmark's)."""
    agent_env: tuple[str, ...] = ()
    agent_network: bool = False
    """The command agent gets the host's network (not only the proxy)."""
    sandbox_show: tuple[Path, ...] = ()
    """What the CLI agents see read-only in the sandbox beyond their installation."""
    progress_seconds: float = 10.0
    container: str | None = None
    """podman or docker for container environments (None: whichever is installed)."""

    @property
    def agent(self) -> str:
        """The first agent (the only one, unless several are compared)."""
        return self.agents[0]

    @property
    def model(self) -> str | None:
        """The first model given (None: each benchmark's own)."""
        return self.models[0]

    @property
    def budget(self) -> Budget:
        """The command line's budgets (pydantic is imported only when they are asked for)."""
        from ..model.spec import Budget

        return Budget(max_cost_usd=self.max_cost_usd, max_tokens=self.max_tokens,
                      max_turns=self.max_turns)

    @property
    def db_url(self) -> str | None:
        """The results database's URL; None when it is turned off."""
        return database_url(self.db, self.dir)

    def is_benchmark_file(self, path: Path) -> bool:
        return any(path.match(pattern) for pattern in self.patterns)

    @classmethod
    def of(cls, config: pytest.Config) -> GaobenchSettings:
        """The session's settings, resolved once."""
        if _KEY not in config.stash:
            config.stash[_KEY] = cls.from_config(config)
        return config.stash[_KEY]

    @classmethod
    def from_config(cls, config: pytest.Config) -> GaobenchSettings:

        raw_dir = text_setting(config, "gaobench_dir")
        directory = Path(raw_dir) if raw_dir else config.rootpath / ".gaobench"
        if not directory.is_absolute():
            directory = config.invocation_params.dir / directory
        return cls(agents=list_setting(config, "gaobench_agent") or ("oracle",), dir=directory,
                   keep=flag_setting(config, "gaobench_keep"),
                   models=list_setting(config, "gaobench_model") or (None,),
                   timeout_grace=number_setting(config, "gaobench_timeout_grace"),
                   resume=text_setting(config, "gaobench_resume"),
                   api_key=text_setting(config, "gaobench_api_key"),
                   api_key_file=text_setting(config, "gaobench_api_key_file"),
                   provider=choice_setting(config, "gaobench_provider", PROVIDERS),
                   max_cost_usd=optional_number(config, "gaobench_max_cost_usd"),
                   max_tokens=_whole(optional_number(config, "gaobench_max_tokens")),
                   max_turns=_whole(optional_number(config, "gaobench_max_turns")),
                   max_retries=int(number_setting(config, "gaobench_max_retries")),
                   retry_base=number_setting(config, "gaobench_retry_base"),
                   record_dir=path_setting(config, "gaobench_record"),
                   prices=path_setting(config, "gaobench_prices"),
                   cassette_dir=path_setting(config, "gaobench_cassettes"),
                   isolation=IsolationMode(choice_setting(
                       config, "gaobench_isolation", tuple(IsolationMode))),
                   db=text_setting(config, "gaobench_db"),
                   max_wall_seconds=optional_number(config, "gaobench_max_wall_seconds"),
                   repeat=_whole(optional_number(config, "gaobench_repeat")) or None,
                   baseline=text_setting(config, "gaobench_baseline"),
                   baseline_threshold=number_setting(config, "gaobench_baseline_threshold"),
                   html=path_setting(config, "gaobench_html"),
                   patterns=tuple(config.getini("gaobench_patterns")),
                   batch=text_setting(config, "gaobench_batch")
                   or os.environ.get(BATCH_ENV) or None,
                   agent_command=config.getoption("gaobench_agent_command"),
                   agent_command_default=config.getini("gaobench_agent_command") or None,
                   agent_env=list_setting(config, "gaobench_agent_env"),
                   agent_network=flag_setting(config, "gaobench_agent_network"),
                   sandbox_show=shown_paths(config),
                   progress_seconds=number_setting(config, "gaobench_progress_seconds"),
                   container=choice_setting(config, "gaobench_container",
                                            ("podman", "docker"), default=None))


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("gaobench", "coding-agent benchmarks (pytest-gaobench)")
    for setting in SETTINGS:
        if setting.flag:
            group.addoption(setting.option, action="store_true", default=None,
                            dest=setting.name, help=setting.help)
        elif setting.multiple:
            group.addoption(setting.option, action="append", dest=setting.name,
                            default=None, help=setting.help)
        elif setting.const is not None:
            group.addoption(setting.option, dest=setting.name, default=None, nargs="?",
                            const=setting.const, metavar="RUN_ID", help=setting.help)
        else:
            group.addoption(setting.option, dest=setting.name, default=None, help=setting.help)
        if setting.ini and setting.flag:
            parser.addini(setting.name, setting.help, type="bool", default=False)
        elif setting.ini:
            parser.addini(setting.name, setting.help, default=setting.default)
    parser.addini("gaobench_patterns", "glob patterns of benchmark files",
                  type="args", default=list(DEFAULT_PATTERNS))


def _setting(name: str) -> Setting:
    return next(s for s in SETTINGS if s.name == name)


def _resolve(config: pytest.Config, setting: Setting) -> object:
    value = config.getoption(setting.name)
    if value is not None or not setting.ini:
        return value if value is not None else setting.default
    ini = config.getini(setting.name)
    return ini if ini not in ("", None) else setting.default


def text_setting(config: pytest.Config, name: str) -> str | None:
    """A text setting from the command line, else the ini file, else its default."""
    value = _resolve(config, _setting(name))
    return None if value in (None, "") else str(value)


def list_setting(config: pytest.Config, name: str) -> tuple[str, ...]:
    """Every value of a setting that may be given more than once, in order, without
    repeats; each value may itself be comma-separated (as the ini key's is)."""
    value = _resolve(config, _setting(name))
    given = value if isinstance(value, list) else [] if value is None else [str(value)]
    parts = [part.strip() for item in given for part in str(item).split(",")]
    return tuple(dict.fromkeys(part for part in parts if part))


def number_setting(config: pytest.Config, name: str) -> float:
    """A non-negative number (seconds, dollars, counts)."""
    value = optional_number(config, name)
    return 0.0 if value is None else value


def optional_number(config: pytest.Config, name: str) -> float | None:
    text = text_setting(config, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise pytest.UsageError(f"{_setting(name).option} / ini {name}: expected a "
                                f"non-negative number, got {text!r}")
    return value


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


@typing.overload
def choice_setting(config: pytest.Config, name: str, choices: tuple[str, ...]) -> str: ...


@typing.overload
def choice_setting(config: pytest.Config, name: str, choices: tuple[str, ...], *,
                   default: None) -> str | None: ...


def choice_setting(config: pytest.Config, name: str, choices: tuple[str, ...], *,
                   default: str | None = "") -> str | None:
    """The setting, one of ``choices``; unset: ``default`` ("" means the first choice)."""
    value = text_setting(config, name) or (choices[0] if default == "" else default)
    if value is not None and value not in choices:
        raise pytest.UsageError(f"{_setting(name).option} / ini {name}: expected one of "
                                f"{', '.join(choices)}, got {value!r}")
    return value


def path_setting(config: pytest.Config, name: str) -> Path | None:
    text = text_setting(config, name)
    if text is None:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else config.invocation_params.dir / path


def shown_paths(config: pytest.Config) -> tuple[Path, ...]:
    """--gaobench-sandbox-show's paths, each one that exists (else a usage error)."""
    paths = []
    for text in list_setting(config, "gaobench_sandbox_show"):
        path = Path(text).expanduser()
        path = path if path.is_absolute() else config.invocation_params.dir / path
        if not path.exists():
            raise pytest.UsageError(f"--gaobench-sandbox-show / ini gaobench_sandbox_show: "
                                    f"{path} does not exist")
        paths.append(path.resolve())
    return tuple(paths)


def flag_setting(config: pytest.Config, name: str) -> bool:
    """An on/off setting: the command-line flag, else the ini key (pytest parses its
    true/false, yes/no, 1/0 and on/off)."""
    return bool(_resolve(config, _setting(name)))


def gaobench_requested(config: pytest.Config) -> bool:
    """Whether this run asked for gaobench: a --gaobench-* option, or an ini key set."""
    for setting in SETTINGS:
        if config.getoption(setting.name) is not None:
            return True
        if setting.ini and config.getini(setting.name) not in ("", None, False,
                                                                setting.default):
            return True
    return False
