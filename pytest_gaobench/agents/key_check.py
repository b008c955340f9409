"""One cheap API call before any benchmark starts: is the key accepted, is the API there?

A rejected or missing key stops the session at once with exit code 7, rather than
failing every benchmark one by one.
"""

from __future__ import annotations

import os

from .credentials import ApiKey, CredentialError

EXIT_BAD_KEY = 7


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
        where = url or "api.anthropic.com"
        raise CredentialError(f"cannot reach the Anthropic API at {where} to check the key: "
                              f"{type(exc).__name__}") from None
    except anthropic.APIStatusError as exc:
        raise CredentialError(f"the API answered the key check with {exc.status_code} "
                              f"{exc.type}") from None
    finally:
        client.close()
