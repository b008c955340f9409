"""pytest-gaobench: benchmark autonomous coding agents with pytest.

The public API works without pytest: load a spec, build a runner, get a result.
"""

from __future__ import annotations

from .agents import Agent, AgentError, BudgetExceeded, InfraError, OracleAgent, PhaseContext
from .model.result import BenchmarkResult
from .model.spec import BenchmarkConfig, SpecError
from .model.status import BenchmarkStatus, FailureKind
from .run.collector import MetricsCollector
from .run.runner import BenchmarkRunner
from .sandbox.boilerplate import BoilerplateManager
from .sandbox.sandbox import SandboxManager

__all__ = [
    "Agent",
    "AgentError",
    "BenchmarkConfig",
    "BenchmarkResult",
    "BenchmarkRunner",
    "BenchmarkStatus",
    "BoilerplateManager",
    "BudgetExceeded",
    "FailureKind",
    "InfraError",
    "MetricsCollector",
    "OracleAgent",
    "PhaseContext",
    "SandboxManager",
    "SpecError",
]
