"""Grading commands run with the interpreter's modules kept the interpreter's.

A criteria command such as ``python -m compileall -q .`` or ``python -m mypy .`` runs in
the workspace, where Python would look for ``compileall`` and ``mypy`` first: an agent's
``compileall.py`` could stand in for the tool. ``site/sitecustomize.py``, put on
``PYTHONPATH``, runs before the workspace joins the path and makes every module the
interpreter provides come from the interpreter; the workspace's own modules
(``python -m todo``) are still found.

A benchmark with an environment of its own runs without it, as its repository's CI would:
there the project's modules win, as they must (a ``test/`` package, a project named like a
package the harness has installed).
"""

from __future__ import annotations

from pathlib import Path

from ..sandbox.sandbox import Sandbox

SITE_FOLDER = Path(__file__).parent / "site"
SITECUSTOMIZE = SITE_FOLDER / "sitecustomize.py"


def interpreter_first_env(sandbox: Sandbox) -> dict[str, str]:
    """Variables for a sandbox command: the interpreter-first ``sitecustomize``, unless the
    benchmark runs in an environment of its own."""
    own = sandbox.toolchain is not None or sandbox.host is not None
    return {} if own else {"PYTHONPATH": str(SITE_FOLDER)}
