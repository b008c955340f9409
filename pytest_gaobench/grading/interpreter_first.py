"""Grading commands run with the interpreter's modules kept the interpreter's.

A criteria command such as ``python -m compileall -q .`` or ``python -m mypy .`` runs in
the workspace, where Python would look for ``compileall`` and ``mypy`` first: an agent's
``compileall.py`` could stand in for the tool. ``site/sitecustomize.py``, put on
``PYTHONPATH``, runs before the workspace joins the path and makes every module the
interpreter provides come from the interpreter; the workspace's own modules
(``python -m todo``) are still found.
"""

from __future__ import annotations

from pathlib import Path

SITE_FOLDER = Path(__file__).parent / "site"
SITECUSTOMIZE = SITE_FOLDER / "sitecustomize.py"


def interpreter_first_env() -> dict[str, str]:
    """Variables for a sandbox command: the interpreter-first ``sitecustomize``."""
    return {"PYTHONPATH": str(SITE_FOLDER)}
