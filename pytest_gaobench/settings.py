"""The plugin's settings: one resolver for command line, ini file and defaults.

As in pytest-timeout, a value comes from the command line if given there, else from
the ini file, else the default; a bad value is reported with where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

DEFAULT_PATTERNS = ("bench_*.yaml", "bench_*.yml")
_KEY = pytest.StashKey["GaobenchSettings"]()


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    default: str | None = None
    flag: bool = False
    const: str | None = None
    """For an option whose value may be left out: the value it then takes."""

    @property
    def option(self) -> str:
        return f"--{self.name.replace('_', '-')}"


SETTINGS = (
    Setting("gaobench_agent", "agent driver that does the work (oracle, ...)", "oracle"),
    Setting("gaobench_dir", "where runs, results and the database go (default: "
            "<rootdir>/.gaobench)"),
    Setting("gaobench_keep", "keep every sandbox workspace, not only failed ones", flag=True),
    Setting("gaobench_model", "model for API agents, overriding the benchmark's `model`"),
    Setting("gaobench_timeout_grace", "seconds the pytest-timeout backstop allows past a "
            "benchmark's own timeout and grading time", "60"),
    Setting("gaobench_resume", "continue interrupted or infra-failed runs from their last "
            "completed phase: the latest one of each benchmark, or RUN_ID", const="latest"),
)


@dataclass(frozen=True)
class GaobenchSettings:
    agent: str
    dir: Path
    keep: bool
    model: str | None
    timeout_grace: float
    resume: str | None
    """'latest', a run id, or None (start every run afresh)."""

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
        return cls(agent=text_setting(config, "gaobench_agent") or "oracle", dir=directory,
                   keep=flag_setting(config, "gaobench_keep"),
                   model=text_setting(config, "gaobench_model"),
                   timeout_grace=number_setting(config, "gaobench_timeout_grace"),
                   resume=text_setting(config, "gaobench_resume"))


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("gaobench", "coding-agent benchmarks (pytest-gaobench)")
    for setting in SETTINGS:
        if setting.flag:
            group.addoption(setting.option, action="store_true", default=None,
                            dest=setting.name, help=setting.help)
        elif setting.const is not None:
            group.addoption(setting.option, dest=setting.name, default=None, nargs="?",
                            const=setting.const, metavar="RUN_ID", help=setting.help)
        else:
            group.addoption(setting.option, dest=setting.name, default=None, help=setting.help)
        parser.addini(setting.name, setting.help, default=setting.default)
    parser.addini("gaobench_patterns", "glob patterns of benchmark files",
                  type="args", default=list(DEFAULT_PATTERNS))


def _setting(name: str) -> Setting:
    return next(s for s in SETTINGS if s.name == name)


def _resolve(config: pytest.Config, setting: Setting) -> object:
    value = config.getoption(setting.name)
    if value is not None:
        return value
    ini = config.getini(setting.name)
    return ini if ini not in ("", None) else setting.default


def text_setting(config: pytest.Config, name: str) -> str | None:
    """A text setting from the command line, else the ini file, else its default."""
    value = _resolve(config, _setting(name))
    return None if value in (None, "") else str(value)


def number_setting(config: pytest.Config, name: str) -> float:
    """A non-negative number of seconds."""
    text = text_setting(config, name) or "0"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise pytest.UsageError(f"{_setting(name).option} / ini {name}: expected a number of "
                                f"seconds, got {text!r}")
    return value


def flag_setting(config: pytest.Config, name: str) -> bool:
    """An on/off setting; in an ini file it is written true/false, yes/no, 1/0 or on/off."""
    setting = _setting(name)
    value = _resolve(config, setting)
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise pytest.UsageError(f"ini option {setting.name} in {config.inipath}: "
                            f"expected true or false, got {value!r}")
