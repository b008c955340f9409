"""Modules the interpreter provides come from the interpreter, never the workspace.

Put on ``PYTHONPATH`` for a criteria command or linter (and run by the grader's launcher),
this runs at start-up, before Python puts the current folder (the workspace) first on
``sys.path`` for ``python -m`` and ``-c``. It installs a finder ahead of the path that
resolves every top-level name the interpreter can import (the standard library, installed
tools such as mypy or ruff, pytest and its plugins) from the interpreter's own path: a
``compileall.py`` or ``mypy/__main__.py`` in the workspace cannot stand in for the tool,
while the workspace's own modules (``python -m todo``) are still found. The interpreter's
own ``sitecustomize``, which this one shadows, is run after it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from typing import ClassVar

_HERE = os.path.dirname(os.path.abspath(__file__))


class InterpreterFirst:
    path: ClassVar[list[str]] = [entry for entry in sys.path
                                 if entry and os.path.abspath(entry) != _HERE]

    @classmethod
    def find_spec(cls, name: str, path: Sequence[str] | None = None,
                  target: object = None) -> ModuleSpec | None:
        if path is not None or name in sys.modules:
            return None
        return importlib.machinery.PathFinder.find_spec(name, cls.path)


if InterpreterFirst not in sys.meta_path:
    sys.meta_path.insert(sys.meta_path.index(importlib.machinery.PathFinder),
                         InterpreterFirst)
    _shadowed = importlib.machinery.PathFinder.find_spec("sitecustomize", InterpreterFirst.path)
    if _shadowed is not None and _shadowed.loader is not None and __name__ == "sitecustomize":
        _module = importlib.util.module_from_spec(_shadowed)
        _shadowed.loader.exec_module(_module)
