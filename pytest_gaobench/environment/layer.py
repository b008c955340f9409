"""A run's own layer: a virtual environment of the same interpreter, over the shared one.

Its ``site-packages`` adds the shared environment's (``site.addsitedir`` in a ``.pth``
file, after its own), so everything shared is importable and what the install steps put
here (``pip install -e .`` of the workspace) wins and stays in this run. The shared
environment's scripts (``pip``, ``pytest``) are written again here for this layer's
interpreter: run as ``pip``, pip installs into the layer, never into the shared part.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..sandbox.untrusted import read_regular
from .errors import EnvironmentSetupError
from .shared import SharedEnvironment

SHARED_PTH = "_gaobench_shared.pth"
SCRIPT_LIMIT = 1024 * 1024
HEAD = 512
"""pip names the interpreter on the first line, or (a long path) in a /bin/sh line below."""
NOT_COPIED = {"python", "python3", "activate", "activate.csh", "activate.fish",
              "Activate.ps1"}


def make_layer(shared: SharedEnvironment, layer: Path) -> Path:
    """The layer in ``layer`` (which must not exist), over ``shared``; its interpreter."""
    done = subprocess.run([str(shared.interpreter.executable), "-m", "venv", "--without-pip",
                           str(layer)], capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        raise EnvironmentSetupError(f"the run's environment could not be made in {layer}: "
                                    f"{done.stderr.strip()[-500:]}")
    python = layer / "bin" / "python"
    version = ".".join(shared.interpreter.version.split(".")[:2])
    site = layer / "lib" / f"python{version}" / "site-packages"
    lines = [f"import site; site.addsitedir({str(path)!r})\n" for path in shared.site_packages]
    (site / SHARED_PTH).write_text("".join(lines), encoding="utf-8")
    _scripts_for(shared.folder / "bin", layer / "bin", python)
    return python


def _scripts_for(shared_bin: Path, layer_bin: Path, python: Path) -> None:
    """The shared environment's Python scripts, each started by ``python`` instead."""
    shared_python = str(shared_bin / "python")
    for script in sorted(shared_bin.iterdir()):
        if script.name in NOT_COPIED or script.name.startswith("python") \
                or (layer_bin / script.name).exists():
            continue
        try:
            text = read_regular(shared_bin, script.name, SCRIPT_LIMIT)
        except OSError:
            continue
        head, rest = text[:HEAD], text[HEAD:]
        if not head.startswith(b"#!") or shared_python.encode() not in head:
            continue
        target = layer_bin / script.name
        target.write_bytes(head.replace(shared_python.encode(), str(python).encode()) + rest)
        target.chmod(0o755)
