"""The interpreter a benchmark asks for (``python: "3.9"``), found where Python users keep
theirs: ``python3.9`` on PATH, pyenv's versions, uv's managed Pythons. Each candidate is
asked its own version, so a pyenv shim that is not active, or a ``python3.9`` that is
really something else, is passed over; where none answers, the error names every place
looked in."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import EnvironmentSetupError

PROBE = ("import json, sys; print(json.dumps(['%d.%d.%d' % sys.version_info[:3], "
         "sys.executable, sys.base_prefix]))")
PROBE_SECONDS = 30.0
RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Interpreter:
    version: str
    """Its full version, as it says (3.9.18)."""
    executable: Path
    """The interpreter itself, as it names itself (a shim resolved)."""
    prefix: Path
    """Its installation (``sys.base_prefix``): what the sandbox shows for it to run."""


@functools.cache
def find_interpreter(version: str) -> Interpreter:
    """The interpreter of ``version`` (X.Y, or X.Y.Z exactly): the first that answers, on
    PATH first, then the newest release of pyenv's, then of uv's. Asked once per process:
    every run of a session needs the same one (a missing one is asked again)."""
    looked: list[str] = []
    for place, candidates in _places(version):
        looked.append(f"{place} ({', '.join(map(str, candidates)) or 'none there'})")
        for candidate in candidates:
            interpreter = _asked(candidate)
            if interpreter is not None and _matches(interpreter.version, version):
                return interpreter
    minor = ".".join(version.split(".")[:2])
    raise EnvironmentSetupError(
        f"Python {version} was not found; looked in: {'; '.join(looked)}. Install it "
        f"(`pyenv install {minor}` or `uv python install {minor}`), or put python{minor} "
        f"on PATH")


def _matches(found: str, wanted: str) -> bool:
    return found == wanted or found.startswith(wanted + ".")


def _places(version: str) -> Iterator[tuple[str, list[Path]]]:
    minor = ".".join(version.split(".")[:2])
    on_path = shutil.which(f"python{minor}")
    yield f"python{minor} on PATH", [Path(on_path)] if on_path else []
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    yield f"pyenv's versions in {pyenv}", _newest_first(
        (folder.name, folder / "bin" / f"python{minor}") for folder in _folders(pyenv))
    uv = _uv_pythons()
    yield f"uv's Pythons in {uv}", _newest_first(
        (folder.name.split("-")[1] if folder.name.count("-") >= 2 else "",
         folder / "bin" / f"python{minor}")
        for folder in _folders(uv) if folder.name.startswith("cpython-"))


def _uv_pythons() -> Path:
    if os.environ.get("UV_PYTHON_INSTALL_DIR"):
        return Path(os.environ["UV_PYTHON_INSTALL_DIR"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "uv" / "python"


def _folders(parent: Path) -> list[Path]:
    try:
        return [entry for entry in parent.iterdir() if entry.is_dir()]
    except OSError:
        return []


def _newest_first(named: Iterator[tuple[str, Path]]) -> list[Path]:
    """The interpreters of folders named by a release (3.9.18), newest first."""
    releases = []
    for name, path in named:
        release = RELEASE.match(name)
        if release and path.is_file():
            releases.append((tuple(int(part) for part in release.groups()), path))
    return [path for _, path in sorted(releases, reverse=True)]


def _asked(candidate: Path) -> Interpreter | None:
    """What ``candidate`` says it is, or None when it does not answer."""
    try:
        done = subprocess.run([str(candidate), "-I", "-c", PROBE], capture_output=True,
                              text=True, timeout=PROBE_SECONDS, check=False)
        version, executable, prefix = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError, TypeError):
        return None
    if done.returncode != 0 or not executable:
        return None
    return Interpreter(str(version), Path(executable), Path(prefix))
