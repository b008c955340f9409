"""The plugin's settings: one resolver for command line, ini file and defaults.

As in pytest-timeout, a value comes from the command line if given there, else from
the ini file, else the default; a bad value is reported with where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

DEFAULT_PATTERNS = ("bench_*.yaml", "bench_*.yml")


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    default: str | None = None
    flag: bool = False

    @property
    def option(self) -> str:
        return f"--{self.name.replace('_', '-')}"


SETTINGS = (
    Setting("gaobench_agent", "agent driver that does the work (oracle, ...)", "oracle"),
    Setting("gaobench_dir", "where runs, results and the database go (default: "
            "<rootdir>/.gaobench)"),
    Setting("gaobench_keep", "keep every sandbox workspace, not only failed ones", flag=True),
    Setting("gaobench_model", "model for API agents, overriding the benchmark's `model`"),
)


@dataclass(frozen=True)
class GaobenchSettings:
    agent: str
    dir: Path
    keep: bool
    model: str | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> GaobenchSettings:
        values = {s.name: _resolve(config, s) for s in SETTINGS}
        raw_dir = values["gaobench_dir"]
        directory = Path(raw_dir) if raw_dir else config.rootpath / ".gaobench"
        if not directory.is_absolute():
            directory = config.invocation_params.dir / directory
        return cls(agent=str(values["gaobench_agent"]), dir=directory,
                   keep=_as_bool(config, SETTINGS[2], values["gaobench_keep"]),
                   model=values["gaobench_model"] or None)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("gaobench", "coding-agent benchmarks (pytest-gaobench)")
    for setting in SETTINGS:
        if setting.flag:
            group.addoption(setting.option, action="store_true", default=None,
                            dest=setting.name, help=setting.help)
        else:
            group.addoption(setting.option, dest=setting.name, default=None, help=setting.help)
        parser.addini(setting.name, setting.help, default=setting.default)
    parser.addini("gaobench_patterns", "glob patterns of benchmark files",
                  type="args", default=list(DEFAULT_PATTERNS))


def _resolve(config: pytest.Config, setting: Setting) -> str | bool | None:
    value = config.getoption(setting.name)
    if value is not None:
        return value  # type: ignore[no-any-return]
    ini = config.getini(setting.name)
    return ini if ini not in ("", None) else setting.default


def _as_bool(config: pytest.Config, setting: Setting, value: str | bool | None) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise pytest.UsageError(f"ini option {setting.name} in {config.inipath}: "
                            f"expected true or false, got {value!r}")
