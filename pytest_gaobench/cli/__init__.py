"""gao-dev, the command line: a thin layer that builds a pytest run or reads results.

It may import results and the model; benchmarks always run through ``pytest.main``
with the plugin, never around it.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
