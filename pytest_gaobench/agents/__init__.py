"""Agent drivers behind one Protocol, built by the name given to --gaobench-agent.

A factory is called with keyword options: ``settings`` (the session's
GaobenchSettings) and ``api_key`` (an ApiKey, for agents that call an API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Agent, AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .oracle import OracleAgent

__all__ = ["AGENTS", "API_AGENTS", "Agent", "AgentError", "BudgetExceeded", "InfraError",
           "OracleAgent", "PhaseContext", "PhaseTimeout"]


def _oracle(**_options: Any) -> Agent:
    return OracleAgent()


def _anthropic(*, settings: Any, api_key: Any = None, **_options: Any) -> Agent:
    from .anthropic import AnthropicAgent, AnthropicSettings

    return AnthropicAgent(AnthropicSettings(
        api_key=api_key, model=settings.model, provider=settings.provider,
        max_retries=settings.max_retries, retry_base_seconds=settings.retry_base,
        budget=settings.budget, record_dir=settings.record_dir))


def _replay(*, settings: Any, **_options: Any) -> Agent:
    from .replay import ReplayAgent

    return ReplayAgent(settings.cassette_dir)


AGENTS: dict[str, Callable[..., Agent]] = {"oracle": _oracle, "anthropic": _anthropic,
                                           "replay": _replay}
API_AGENTS = frozenset({"anthropic"})
"""Agents that need an API key, resolved and validated before any benchmark starts."""
