"""Agent drivers behind one Protocol, built by the name given to --gaobench-agent."""

from __future__ import annotations

from collections.abc import Callable

from .base import Agent, AgentError, BudgetExceeded, InfraError, PhaseContext, PhaseTimeout
from .oracle import OracleAgent

__all__ = ["AGENTS", "Agent", "AgentError", "BudgetExceeded", "InfraError", "OracleAgent",
           "PhaseContext", "PhaseTimeout", "UnknownAgent", "build_agent"]


class UnknownAgent(ValueError):
    pass


def _oracle(*, model: str | None = None) -> Agent:
    return OracleAgent()


AGENTS: dict[str, Callable[..., Agent]] = {"oracle": _oracle}


def build_agent(name: str, **options: object) -> Agent:
    try:
        factory = AGENTS[name]
    except KeyError:
        raise UnknownAgent(f"unknown agent {name!r}; known agents: "
                           f"{', '.join(sorted(AGENTS))}") from None
    return factory(**options)
