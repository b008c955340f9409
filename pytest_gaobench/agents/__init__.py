"""Agents: the drivers that do a phase's work, behind one small Protocol.

Owns each driver (oracle, nop, anthropic with its tools, pricing and budgets, replay), the
role prompts, and what an API agent needs before it starts: the key (credentials) and
its check. A driver is built by name from ``AGENTS``; it may import the model, the
sandbox and logs, never the run, results or pytest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..model.spec import Budget
from .base import Agent, AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .credentials import ApiKey
from .nop import NopAgent
from .oracle import OracleAgent
from .pricing import DEFAULT_MODEL, PriceTable
from .providers import KEY_VARIABLES, provider_of_model

__all__ = ["AGENTS", "API_AGENTS", "Agent", "AgentError", "AgentSettings", "BudgetExceeded",
           "InfraError", "OracleAgent", "PhaseContext", "PhaseTimeout"]


class AgentSettings(Protocol):
    """What an agent factory may read of the session's settings."""

    @property
    def model(self) -> str | None: ...
    @property
    def provider(self) -> str: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def retry_base(self) -> float: ...
    @property
    def budget(self) -> Budget: ...
    @property
    def record_dir(self) -> Path | None: ...
    @property
    def cassette_dir(self) -> Path | None: ...
    @property
    def prices(self) -> Path | None: ...
    @property
    def agent_command(self) -> str | None: ...
    @property
    def agent_command_default(self) -> str | None: ...
    @property
    def agent_env(self) -> tuple[str, ...]: ...
    @property
    def agent_network(self) -> bool: ...


def price_table(settings: AgentSettings) -> PriceTable:
    """The shipped prices, with the user's price file (--gaobench-prices) over them."""
    shipped = PriceTable.shipped()
    return shipped if settings.prices is None else shipped.merged(
        PriceTable.from_file(settings.prices))


def _oracle(**_options: Any) -> Agent:
    return OracleAgent()


def _nop(**_options: Any) -> Agent:
    return NopAgent()


def _forger(**_options: Any) -> Agent:
    from .forger import ForgerAgent

    return ForgerAgent()


def _anthropic(*, settings: AgentSettings, api_key: ApiKey | None = None,
               model: str | None = None, **_options: Any) -> Agent:
    from .anthropic import AnthropicAgent, AnthropicSettings

    return AnthropicAgent(AnthropicSettings(
        api_key=api_key, model=model, provider=settings.provider,
        max_retries=settings.max_retries, retry_base_seconds=settings.retry_base,
        budget=settings.budget, record_dir=settings.record_dir), prices=price_table(settings))


def _cli_agent(module: str, class_name: str) -> AgentFactory:
    """A named CLI agent's factory (its module imported only when it is used)."""
    def factory(*, settings: AgentSettings, api_keys: Mapping[str, ApiKey] | None = None,
                model: str | None = None, **_options: Any) -> Agent:
        agent_class = getattr(importlib.import_module(module, __name__), class_name)
        agent: Agent = agent_class(api_keys=api_keys, model=model, budget=settings.budget,
                                   prices=price_table(settings))
        return agent
    return factory


def _command(*, settings: AgentSettings, api_keys: Mapping[str, ApiKey] | None = None,
             model: str | None = None, **_options: Any) -> Agent:
    from .command import CommandAgent

    providers = command_providers(settings)
    return CommandAgent(command=settings.agent_command,
                        default_command=settings.agent_command_default,
                        env_names=settings.agent_env, network=settings.agent_network,
                        api_key=(api_keys or {}).get(providers[0]) if providers else None,
                        model=model, budget=settings.budget, prices=price_table(settings))


def _replay(*, settings: AgentSettings, **_options: Any) -> Agent:
    from .replay import ReplayAgent

    return ReplayAgent(settings.cassette_dir)


AgentFactory = Callable[..., Agent]
"""Called with keywords ``settings`` (``AgentSettings``), ``api_key`` (the Anthropic
``ApiKey`` or None), ``api_keys`` (every provider's key the session holds, by provider)
and ``model``; further keywords may be added, so a factory takes ``**options``."""

AGENTS: dict[str, AgentFactory] = {"oracle": _oracle, "nop": _nop, "forger": _forger,
                                   "anthropic": _anthropic,
                                   "claude-code": _cli_agent(".claude_code",
                                                             "ClaudeCodeAgent"),
                                   "codex": _cli_agent(".codex", "CodexAgent"),
                                   "aider": _cli_agent(".aider", "AiderAgent"),
                                   "gemini-cli": _cli_agent(".gemini_cli", "GeminiCliAgent"),
                                   "mini-swe-agent": _cli_agent(".mini_swe_agent",
                                                                "MiniSweAgent"),
                                   "opencode": _cli_agent(".opencode", "OpencodeAgent"),
                                   "command": _command, "replay": _replay}
AGENT_PROVIDERS = {"anthropic": "anthropic", "claude-code": "anthropic", "codex": "openai",
                   "gemini-cli": "gemini"}
"""Agents that need a provider's API key, resolved and validated before any benchmark
starts (the command agent too, when it is given API access: see ``providers_needed``)."""
MODEL_PROVIDED = frozenset({"aider", "mini-swe-agent", "opencode"})
"""Agents that reach whichever provider serves their model (through LiteLLM)."""
API_AGENTS = frozenset(AGENT_PROVIDERS) | MODEL_PROVIDED


def command_providers(settings: AgentSettings) -> list[str]:
    """The providers the command agent is given metered access to: those whose key
    variable is in its allow-list."""
    return [KEY_VARIABLES[name] for name in settings.agent_env if name in KEY_VARIABLES]


def providers_needed(agent: str, settings: AgentSettings) -> list[str]:
    """Whose keys an agent needs, by provider name."""
    if agent == "command":
        return command_providers(settings)
    if agent in MODEL_PROVIDED:  # the model's provider: --gaobench-model, else Claude
        return [provider_of_model(settings.model or DEFAULT_MODEL).name]
    return [AGENT_PROVIDERS[agent]] if agent in AGENT_PROVIDERS else []

