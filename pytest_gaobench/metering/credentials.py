"""The API key: where it comes from, whether it works, and that it never leaks.

Sources, first found wins: the key given on the command line (``--gaobench-api-key`` in
pytest, ``--api-key`` in gao-dev), a key file (``--gaobench-api-key-file`` /
``--api-key-file``), ``ANTHROPIC_API_KEY``, then a config file (``$GAOBENCH_CONFIG`` or
``~/.config/gaobench/config.toml`` with ``api_key`` or ``api_key_file``). The key is held
by ``ApiKey``, whose repr and str never show it, and is registered with the run's
redactor as soon as it is read.

Another provider's key (OpenAI's for Codex, Gemini's) comes from its own variable
(``OPENAI_API_KEY``, ``GEMINI_API_KEY``), else the config file's ``openai_api_key_file``
/ ``openai_api_key`` (``gemini_...``).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "ANTHROPIC_API_KEY"
CONFIG_ENV_VAR = "GAOBENCH_CONFIG"
DEFAULT_CONFIG = Path("~/.config/gaobench/config.toml")


class CredentialError(RuntimeError):
    """No usable key: missing, unreadable, or rejected. The message never holds the key."""


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    source: str
    """Where the key came from, for messages: '--api-key-file /path', 'ANTHROPIC_API_KEY'..."""
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"API key from {self.source}"


def resolve_api_key(*, explicit: str | None = None, key_file: str | Path | None = None,
                    environ: Mapping[str, str] | None = None,
                    config_file: Path | None = None) -> ApiKey:
    environ = os.environ if environ is None else environ
    if explicit:
        return ApiKey(_clean(explicit, "--api-key"), "--api-key")
    if key_file:
        return _from_file(Path(key_file).expanduser(), f"--api-key-file {key_file}")
    if environ.get(ENV_VAR):
        return ApiKey(_clean(environ[ENV_VAR], ENV_VAR), ENV_VAR)
    config = config_file or Path(environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG).expanduser()
    if config.is_file():
        found = _from_config(config)
        assert found is not None
        return found
    raise CredentialError(
        "no Anthropic API key: pass --gaobench-api-key-file (gao-dev: --api-key-file), set "
        f"ANTHROPIC_API_KEY, or put api_key_file = \"...\" in {DEFAULT_CONFIG}")


def resolve_provider_key(provider: str, key_env: str, *,
                         environ: Mapping[str, str] | None = None,
                         config_file: Path | None = None) -> ApiKey:
    """The key of a provider other than Anthropic: its variable, else the config file."""
    environ = os.environ if environ is None else environ
    if environ.get(key_env):
        return ApiKey(_clean(environ[key_env], key_env), key_env)
    config = config_file or Path(environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG).expanduser()
    if config.is_file():
        found = _from_config(config, prefix=f"{provider}_")
        if found is not None:
            return found
    raise CredentialError(
        f"no {provider} API key: set {key_env}, or put {provider}_api_key_file = \"...\" "
        f"in {DEFAULT_CONFIG}")


def _clean(value: str, source: str) -> str:
    key = value.strip()
    if not key or any(c.isspace() for c in key):
        raise CredentialError(f"the API key from {source} is empty or contains spaces")
    return key


def _from_file(path: Path, source: str) -> ApiKey:
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CredentialError(f"cannot read the API key file {path}: {reason}") from None
    warnings: tuple[str, ...] = ()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings = (f"API key file {path} is readable by other users "
                    f"(mode {stat.S_IMODE(info.st_mode):o}); run: chmod 600 {path}",)
    return ApiKey(_clean(text, source), source, warnings)


def _from_config(path: Path, prefix: str = "") -> ApiKey | None:
    """The key the config file names (``{prefix}api_key_file`` or ``{prefix}api_key``);
    without a prefix (Anthropic's), a file with neither is an error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CredentialError(f"cannot read the config file {path}: {exc}") from None
    file_key, value_key = f"{prefix}api_key_file", f"{prefix}api_key"
    if isinstance(data.get(file_key), str):
        key_path = Path(data[file_key]).expanduser()
        if not key_path.is_absolute():
            key_path = path.parent / key_path
        return _from_file(key_path, f"{file_key} in {path}")
    if isinstance(data.get(value_key), str):
        return ApiKey(_clean(data[value_key], f"{value_key} in {path}"),
                      f"{value_key} in {path}")
    if prefix:
        return None
    raise CredentialError(f"config file {path} has neither api_key nor api_key_file")
