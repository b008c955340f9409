"""A benchmark's own metrics: commands (YAML `metrics:`) that print a JSON object of numbers.

They run at grading time, in the sandbox, like every grading command; a command that
fails or prints something else costs a warning, never the run.
"""

from __future__ import annotations

import json

from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox


def measure_custom_metrics(config: BenchmarkConfig, sandbox: Sandbox
                           ) -> tuple[dict[str, float], list[str]]:
    values: dict[str, float] = {}
    warnings: list[str] = []
    for command in config.metrics:
        outcome = sandbox.run_shell(command.run, timeout=command.timeout_seconds)
        where = f"metrics command {command.name!r}"
        if not outcome.ok:
            state = "timed out" if outcome.timed_out else f"exited with {outcome.exit_code}"
            warnings.append(f"{where} {state}: {outcome.tail(3)}")
            continue
        try:
            data = json.loads(outcome.stdout)
        except ValueError:
            warnings.append(f"{where} did not print JSON: {outcome.stdout[:200]!r}")
            continue
        if not isinstance(data, dict):
            warnings.append(f"{where} printed {type(data).__name__}, not an object of numbers")
            continue
        for key, value in data.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[f"{command.name}.{key}"] = float(value)
            else:
                warnings.append(f"{where}: {key!r} is not a number ({value!r})")
    return values, warnings
