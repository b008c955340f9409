"""Agents: the drivers that do a phase's work, behind one small Protocol.

The core here is the ``Agent`` protocol and its ``PhaseContext`` (``base``), the role
prompts, the turn and cost checks an agent makes (``budget``), and the registry below:
each agent by name, built by a factory, and whose API key it needs, read from its class.
The drivers live in three parts: ``builtin`` (oracle, nop, forger: no model), ``toolloop``
(the Anthropic agent with our own tools, and replay) and ``cli`` (real command-line
agents, metered through ``metering``). Agents may import the model, the sandbox, logs and
``metering``; never the run, results or pytest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..metering.credentials import ApiKey
from ..metering.pricing import DEFAULT_MODEL, PriceTable
from ..metering.providers import KEY_VARIABLES, provider_of_model
from ..model.spec import Budget
from .base import Agent, AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .builtin.nop import NopAgent
from .builtin.oracle import OracleAgent

__all__ = ["AGENTS", "Agent", "AgentError", "AgentSettings", "BudgetExceeded",
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


DRIVERS = {"anthropic": ".toolloop.anthropic:AnthropicAgent",
           "replay": ".toolloop.replay:ReplayAgent",
           "forger": ".builtin.forger:ForgerAgent",
           "claude-code": ".cli.claude_code:ClaudeCodeAgent",
           "codex": ".cli.codex:CodexAgent",
           "aider": ".cli.aider:AiderAgent",
           "gemini-cli": ".cli.gemini_cli:GeminiCliAgent",
           "mini-swe-agent": ".cli.mini_swe_agent:MiniSweAgent",
           "opencode": ".cli.opencode:OpencodeAgent",
           "command": ".cli.command:CommandAgent"}
"""Where each driver that is not always loaded lives: imported only when it is used."""


def driver_class(name: str) -> type[Any] | None:
    """The class of a named driver (None for a name registered from elsewhere)."""
    if name in ("oracle", "nop"):
        return OracleAgent if name == "oracle" else NopAgent
    if name not in DRIVERS:
        return None
    module, class_name = DRIVERS[name].split(":")
    found: type[Any] = getattr(importlib.import_module(module, __name__), class_name)
    return found


def _oracle(**_options: Any) -> Agent:
    return OracleAgent()


def _nop(**_options: Any) -> Agent:
    return NopAgent()


def _forger(**_options: Any) -> Agent:
    agent: Agent = _class("forger")()
    return agent


def _class(name: str) -> type[Any]:
    found = driver_class(name)
    assert found is not None
    return found


def _anthropic(*, settings: AgentSettings, api_key: ApiKey | None = None,
               model: str | None = None, **_options: Any) -> Agent:
    from .toolloop.anthropic import AnthropicAgent, AnthropicSettings

    return AnthropicAgent(AnthropicSettings(
        api_key=api_key, model=model, provider=settings.provider,
        max_retries=settings.max_retries, retry_base_seconds=settings.retry_base,
        budget=settings.budget, record_dir=settings.record_dir), prices=price_table(settings))


def _cli_agent(name: str) -> AgentFactory:
    """A named CLI agent's factory (its module imported only when it is used)."""
    def factory(*, settings: AgentSettings, api_keys: Mapping[str, ApiKey] | None = None,
                model: str | None = None, **_options: Any) -> Agent:
        agent: Agent = _class(name)(api_keys=api_keys, model=model, budget=settings.budget,
                                    prices=price_table(settings))
        return agent
    return factory


def _command(*, settings: AgentSettings, api_keys: Mapping[str, ApiKey] | None = None,
             model: str | None = None, **_options: Any) -> Agent:
    agent: Agent = _class("command")(
        command=settings.agent_command, default_command=settings.agent_command_default,
        env_names=settings.agent_env, network=settings.agent_network, api_keys=api_keys,
        model=model, budget=settings.budget, prices=price_table(settings))
    return agent


def _replay(*, settings: AgentSettings, **_options: Any) -> Agent:
    agent: Agent = _class("replay")(settings.cassette_dir)
    return agent


AgentFactory = Callable[..., Agent]
"""Called with keywords ``settings`` (``AgentSettings``), ``api_key`` (the Anthropic
``ApiKey`` or None), ``api_keys`` (every provider's key the session holds, by provider)
and ``model``; further keywords may be added, so a factory takes ``**options``."""

AGENTS: dict[str, AgentFactory] = {
    "oracle": _oracle, "nop": _nop, "forger": _forger, "anthropic": _anthropic,
    **{name: _cli_agent(name) for name in ("claude-code", "codex", "aider", "gemini-cli",
                                           "mini-swe-agent", "opencode")},
    "command": _command, "replay": _replay}


def command_providers(settings: AgentSettings) -> list[str]:
    """The providers the command agent is given metered access to: those whose key
    variable is in its allow-list."""
    return [KEY_VARIABLES[name] for name in settings.agent_env if name in KEY_VARIABLES]


def providers_needed(agent: str, settings: AgentSettings) -> list[str]:
    """Whose keys an agent needs, by provider name, resolved and validated before any
    benchmark starts: read from its class's ``provider_name`` (a provider; None: whichever
    serves its model, as an agent on LiteLLM; no such attribute: none)."""
    if agent == "command":
        return command_providers(settings)
    found = driver_class(agent)
    if found is None or not hasattr(found, "provider_name"):
        return []
    provider: str | None = found.provider_name
    if provider is None:  # the model's provider: --gaobench-model, else Claude
        return [provider_of_model(settings.model or DEFAULT_MODEL).name]
    return [provider]
