"""The API key for API agents: found, registered for redaction and checked once,
before any benchmark starts; a missing or rejected key stops the session (exit 7), an API
that is down or out of reach during the check too, with its own code (exit 9).

The check runs in ``pytest_cmdline_main``, before pytest's session begins, so a stop is
said once, plainly, as ``gaobench: ...`` (a ``pytest.exit`` there would be printed twice,
once by the session and once by the terminal's summary of the interruption)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ..logs.redaction import Redactor
from ..metering.credentials import ApiKey, CredentialError, resolve_api_key, resolve_provider_key
from ..metering.key_check import (
    EXIT_API_UNAVAILABLE,
    EXIT_BAD_KEY,
    ApiUnavailable,
    validate_api_key,
    validate_provider_key,
)
from ..metering.providers import PROVIDERS
from .settings import GaobenchSettings
from .warning import GaobenchWarning


@dataclass(frozen=True)
class KeyStop(Exception):
    """The session must stop before any benchmark: why (redacted), and its exit code."""

    message: str
    code: int

    def __str__(self) -> str:
        return self.message


def prepare_api_key(config: pytest.Config, settings: GaobenchSettings,
                    redactor: Redactor) -> ApiKey:
    try:
        key = resolve_api_key(explicit=settings.api_key, key_file=settings.api_key_file)
    except CredentialError as exc:
        raise stop(exc, redactor) from None
    redactor.add(key.value)
    for warning in key.warnings:
        config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
    if checks_keys(config):
        try:
            validate_api_key(key)
        except CredentialError as exc:
            raise stop(exc, redactor) from None
    return key


def prepare_provider_key(config: pytest.Config, provider: str, redactor: Redactor) -> ApiKey:
    """Another provider's key (OpenAI's for codex...), found and checked the same way."""
    known = PROVIDERS[provider]
    try:
        key = resolve_provider_key(provider, known.key_env)
    except CredentialError as exc:
        raise stop(exc, redactor) from None
    redactor.add(key.value)
    for warning in key.warnings:
        config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
    if checks_keys(config):
        try:
            validate_provider_key(key, known)
        except CredentialError as exc:
            raise stop(exc, redactor) from None
    return key


def checks_keys(config: pytest.Config) -> bool:
    """Whether this process asks the API about the key: not an xdist worker (the controller
    checked), not a run that only collects."""
    return not hasattr(config, "workerinput") and not config.option.collectonly


def stop(exc: CredentialError, redactor: Redactor) -> KeyStop:
    """A bad key (7), or an API that is down or out of reach (9)."""
    code = EXIT_API_UNAVAILABLE if isinstance(exc, ApiUnavailable) else EXIT_BAD_KEY
    return KeyStop(f"gaobench: {redactor.text(str(exc))}", code)
