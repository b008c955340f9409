"""The model providers a CLI agent may be metered on: their keys, URLs and dialects.

Each provider's real key is the harness's alone (read from its own variable, or the
config file); the agent gets the metering proxy's URL and a run token in the variables
its client reads. ``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL`` and ``GEMINI_BASE_URL`` in
the harness's environment move the proxy's upstream (a gateway, or a test's server).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .dialects import Dialect, dialect_named


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    key_env: str
    base_url_env: str
    default_upstream: str
    models_path: str
    """A free GET that checks the key."""

    @property
    def dialect(self) -> Dialect:
        return dialect_named(self.name)

    def upstream(self) -> str:
        """The API's root (an OpenAI-style base URL's ``/v1`` is the dialect's paths')."""
        given = (os.environ.get(self.base_url_env) or self.default_upstream).rstrip("/")
        return given.removesuffix("/v1") if self.name == "openai" else given

    def agent_env(self, url: str, token: str) -> dict[str, str]:
        """The variables an agent's client reads for this provider, pointing at the proxy
        (with the spellings LiteLLM-based agents read too)."""
        if self.name == "openai":
            return {"OPENAI_BASE_URL": url + "/v1", "OPENAI_API_BASE": url + "/v1",
                    "OPENAI_API_KEY": token}
        if self.name == "gemini":
            return {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_BASE": url,
                    "GEMINI_API_KEY": token, "GOOGLE_API_KEY": token}
        return {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_BASE": url,
                "ANTHROPIC_API_KEY": token}


PROVIDERS = {
    "anthropic": Provider("anthropic", "Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                          "https://api.anthropic.com", "/v1/models?limit=1"),
    "openai": Provider("openai", "OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                       "https://api.openai.com", "/v1/models"),
    "gemini": Provider("gemini", "Gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL",
                       "https://generativelanguage.googleapis.com", "/v1beta/models"),
}
KEY_VARIABLES = {provider.key_env: provider.name for provider in PROVIDERS.values()}
"""A provider's key variable in the command agent's allow-list asks for metered access."""


def provider_of_model(model: str) -> Provider:
    """The provider that serves a model id (a LiteLLM-style ``openai/gpt-5`` too)."""
    prefix, _, name = model.rpartition("/")
    if prefix in PROVIDERS:
        return PROVIDERS[prefix]
    if name.startswith(("gpt-", "o1", "o3", "o4", "codex-", "chatgpt-")):
        return PROVIDERS["openai"]
    if name.startswith(("gemini-", "gemma-")):
        return PROVIDERS["gemini"]
    return PROVIDERS["anthropic"]
