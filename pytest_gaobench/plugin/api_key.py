"""The API key for API agents: found, registered for redaction and checked once,
before any benchmark starts; a missing or rejected key stops the session (exit 7), an API
that is down during the check too, with its own code (exit 9)."""

from __future__ import annotations

from typing import NoReturn

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


def prepare_api_key(config: pytest.Config, settings: GaobenchSettings,
                    redactor: Redactor) -> ApiKey:
    try:
        key = resolve_api_key(explicit=settings.api_key, key_file=settings.api_key_file)
    except CredentialError as exc:
        pytest.exit(f"gaobench: {exc}", returncode=EXIT_BAD_KEY)
    redactor.add(key.value)
    for warning in key.warnings:
        config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
    is_worker = hasattr(config, "workerinput")  # xdist: the controller checked
    if not is_worker and not config.option.collectonly:
        try:
            validate_api_key(key)
        except CredentialError as exc:
            stop(exc, redactor)
    return key


def prepare_provider_key(config: pytest.Config, provider: str, redactor: Redactor) -> ApiKey:
    """Another provider's key (OpenAI's for codex...), found and checked the same way."""
    known = PROVIDERS[provider]
    try:
        key = resolve_provider_key(provider, known.key_env)
    except CredentialError as exc:
        pytest.exit(f"gaobench: {exc}", returncode=EXIT_BAD_KEY)
    redactor.add(key.value)
    for warning in key.warnings:
        config.issue_config_time_warning(GaobenchWarning(warning), stacklevel=2)
    if not hasattr(config, "workerinput") and not config.option.collectonly:
        try:
            validate_provider_key(key, known)
        except CredentialError as exc:
            stop(exc, redactor)
    return key


def stop(exc: CredentialError, redactor: Redactor) -> NoReturn:
    """End the session before any benchmark: a bad key (7) or an API that is down (9)."""
    code = EXIT_API_UNAVAILABLE if isinstance(exc, ApiUnavailable) else EXIT_BAD_KEY
    pytest.exit(f"gaobench: {redactor.text(str(exc))}", returncode=code)
