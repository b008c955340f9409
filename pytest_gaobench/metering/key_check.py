"""One cheap API call before any benchmark starts: is the key accepted, is the API there?

A rejected or missing key stops the session at once with exit code 7, rather than
failing every benchmark one by one. An API that is down (unreachable, 5xx, rate limited)
says nothing about the key: it stops the session with exit code 9 and says so, so that
CI retries later instead of someone replacing a good key.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from .credentials import ApiKey, CredentialError
from .providers import Provider

EXIT_BAD_KEY = 7
EXIT_API_UNAVAILABLE = 9


class ApiUnavailable(CredentialError):
    """The API could not answer the key check: the key was not checked."""


def _unavailable(label: str, answer: str) -> ApiUnavailable:
    """The API answered that it is down (5xx, 429): a later try may work."""
    return ApiUnavailable(f"the {label} API is unavailable ({answer}): the key could not be "
                          f"checked and no benchmark was started; try again later")


def _unreachable(label: str, url: str, why: object, variable: str) -> ApiUnavailable:
    """Nothing answered: most often this machine has no route (or no name) for the host,
    which waiting does not mend."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or url
    said = str(why).strip() or type(why).__name__
    return ApiUnavailable(f"could not reach the {label} API: nothing answered at {host}"
                          f"{f' port {parts.port}' if parts.port else ''} ({said}); check "
                          f"this machine's network and proxy, or {variable} ({url}). The "
                          f"key could not be checked and no benchmark was started")


def validate_api_key(key: ApiKey, base_url: str | None = None) -> None:
    import anthropic

    url = base_url or os.environ.get("ANTHROPIC_BASE_URL")
    client = anthropic.Anthropic(api_key=key.value, base_url=url, max_retries=2, timeout=30)
    try:
        client.models.list(limit=1)
    except anthropic.AuthenticationError as exc:
        raise CredentialError(f"the API key from {key.source} was rejected "
                              f"({exc.status_code} {exc.type})") from None
    except anthropic.PermissionDeniedError as exc:
        raise CredentialError(f"the API key from {key.source} is not allowed to use the API "
                              f"({exc.status_code} {exc.type})") from None
    except anthropic.APIConnectionError as exc:
        raise _unreachable("Anthropic", url or "https://api.anthropic.com",
                           exc.__cause__ or exc, "ANTHROPIC_BASE_URL") from None
    except anthropic.APIStatusError as exc:
        if exc.status_code >= 500 or exc.status_code == 429:
            raise _unavailable("Anthropic", f"{exc.status_code} {exc.type}") from None
        raise CredentialError(f"the API answered the key check with {exc.status_code} "
                              f"{exc.type}") from None
    finally:
        client.close()


def validate_provider_key(key: ApiKey, provider: Provider) -> None:
    """Another provider's key, by its free list of models (no SDK needed)."""
    request = urllib.request.Request(provider.upstream() + provider.models_path,
                                     headers=provider.dialect.auth_headers(key.value))
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            reply.read(1 << 20)
    except urllib.error.HTTPError as exc:
        detail = provider.dialect.error_type(_json(exc.read(1 << 16))) or ""
        if exc.code in (401, 403):
            raise CredentialError(f"the {provider.label} API key from {key.source} was "
                                  f"rejected ({exc.code} {detail})".rstrip()) from None
        if exc.code >= 500 or exc.code == 429:
            raise _unavailable(provider.label, f"{exc.code} {detail}".rstrip()) from None
        raise CredentialError(f"the {provider.label} API answered the key check with "
                              f"{exc.code} {detail}".rstrip()) from None
    except urllib.error.URLError as exc:
        raise _unreachable(provider.label, provider.upstream(), exc.reason,
                           provider.base_url_env) from None
    except OSError as exc:
        raise _unreachable(provider.label, provider.upstream(), exc,
                           provider.base_url_env) from None


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None
