"""pytest-gaobench: benchmark autonomous coding agents with pytest.

The public API works without pytest: load a spec, build a runner, get a result. Names
are imported on first use (PEP 562), so loading the pytest plugin into an unrelated
test run costs nothing of pydantic, SQLAlchemy or the agents.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents import Agent, AgentError, BudgetExceeded, InfraError, OracleAgent, PhaseContext
    from .model.result import BenchmarkResult
    from .model.spec import BenchmarkConfig, SpecError
    from .model.status import BenchmarkStatus, FailureKind
    from .run.collector import MetricsCollector
    from .run.runner import BenchmarkRunner
    from .run.standalone import StandaloneRunner
    from .sandbox.boilerplate import BoilerplateManager
    from .sandbox.sandbox import SandboxManager
    from .specfile.load import load_spec

_WHERE = {
    "Agent": ".agents", "AgentError": ".agents", "BudgetExceeded": ".agents",
    "InfraError": ".agents", "OracleAgent": ".agents", "PhaseContext": ".agents",
    "BenchmarkResult": ".model.result", "BenchmarkConfig": ".model.spec",
    "SpecError": ".model.spec", "BenchmarkStatus": ".model.status",
    "FailureKind": ".model.status", "MetricsCollector": ".run.collector",
    "BenchmarkRunner": ".run.runner", "StandaloneRunner": ".run.standalone",
    "BoilerplateManager": ".sandbox.boilerplate",
    "SandboxManager": ".sandbox.sandbox", "load_spec": ".specfile.load",
}
__all__ = [
    "Agent", "AgentError", "BenchmarkConfig", "BenchmarkResult", "BenchmarkRunner",
    "BenchmarkStatus", "BoilerplateManager", "BudgetExceeded", "FailureKind", "InfraError",
    "MetricsCollector", "OracleAgent", "PhaseContext", "SandboxManager", "SpecError",
    "StandaloneRunner", "load_spec",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
