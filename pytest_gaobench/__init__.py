"""pytest-gaobench: benchmark autonomous coding agents with pytest.

The public API works without pytest: load a spec, build a runner, get a result.
"""

from __future__ import annotations

from .agents import Agent, AgentError, BudgetExceeded, InfraError, OracleAgent, PhaseContext
from .boilerplate import BoilerplateManager
from .metrics import MetricsCollector
from .result import BenchmarkResult
from .runner import BenchmarkRunner
from .sandbox import SandboxManager
from .spec import BenchmarkConfig, SpecError
from .status import BenchmarkStatus, FailureKind

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
