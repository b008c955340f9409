"""Where an agent's program is installed, so the sandbox can show it (read-only).

Inside the sandbox only the system folders, this interpreter and the workspace are there.
An agent installed the usual ways lives elsewhere: an npm global under ``~/.nvm`` (with the
Node.js that runs it), a pipx or ``uv tool`` folder, a virtualenv. ``installation_of``
resolves the program (links followed) and names the folders it needs: its package (the
nearest folder above it with a ``package.json``, or the virtualenv around it), the
interpreter its ``#!`` line names (through ``env`` too), and that interpreter's own
installation (a virtualenv's base Python). The harness reads only the program's first
line, never runs it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

SHEBANG_LIMIT = 512


@dataclass(frozen=True)
class Installation:
    program: Path
    """The resolved program."""
    folders: list[Path] = field(default_factory=list)
    """What the sandbox shows read-only for it to run."""
    argv: list[str] = field(default_factory=list)
    """How to start it: the program itself (its interpreter is found on PATH inside)."""


def find_program(name: str, cwd: Path | None = None) -> Path | None:
    """``name`` as the shell would find it: a path (relative to ``cwd``), or on PATH."""
    if os.sep in name:
        path = Path(name).expanduser()
        path = path if path.is_absolute() else (cwd or Path.cwd()) / path
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(name)
    return Path(found) if found else None


def installed_cli(executable: str | None, command: str, label: str, hint: str) -> Path:
    """A named agent's CLI (``executable``, else ``command`` on PATH), resolved; missing is
    a configuration error naming how to install it."""
    from .base import SetupError

    found = executable or shutil.which(command)
    if found is None or not os.access(found, os.X_OK):
        raise SetupError(f"the {label} (`{command}`) is not on PATH: install it with "
                         f"`{hint}`")
    return Path(found).resolve()


def installation_of(program: Path) -> Installation:
    resolved = program.resolve()
    folders = [package_root(resolved)]
    interpreter = shebang_interpreter(resolved)
    if interpreter is not None:
        folders += [package_root(interpreter), *base_python(interpreter)]
    return Installation(resolved, unique_outside_system(folders), [str(resolved)])


def package_root(path: Path) -> Path:
    """The installation a file belongs to: the nearest folder above it with a
    ``package.json`` (an npm package) or a ``pyvenv.cfg`` (a virtualenv, pipx and uv tool
    environments included), else its own folder."""
    for parent in list(path.parents)[:6]:
        if (parent / "package.json").is_file() or (parent / "pyvenv.cfg").is_file():
            return parent
    bin_folder = path.parent
    if bin_folder.name == "bin" and runtime_beside(bin_folder.parent):
        return bin_folder.parent  # a Node.js or Python installation: bin/ and lib/
    return bin_folder


def runtime_beside(prefix: Path) -> bool:
    """Whether ``prefix`` is a Node.js or Python installation (never a home folder)."""
    if prefix == Path.home() or prefix in Path.home().parents:
        return False
    lib = prefix / "lib"
    return (lib / "node_modules").is_dir() or any(lib.glob("python3*"))


def shebang_interpreter(program: Path) -> Path | None:
    """The interpreter a script's ``#!`` line names, resolved (``env NAME`` on PATH). Only
    a regular file is opened (never a FIFO or a device, which could block), without
    following a link at its last step, and no more than its first line is read."""
    try:
        descriptor = os.open(program, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        first = file.read(SHEBANG_LIMIT).split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return None
    try:
        words = shlex.split(first[2:].decode(errors="replace"))
    except ValueError:
        return None
    if not words:
        return None
    if Path(words[0]).name == "env":
        named = [word for word in words[1:] if not word.startswith("-")]
        found = shutil.which(named[0]) if named else None
        return Path(found).resolve() if found else None
    path = Path(words[0])
    return path.resolve() if path.is_file() else None


def base_python(interpreter: Path) -> list[Path]:
    """A virtualenv's base installation (its ``pyvenv.cfg``'s ``home``), which its
    interpreter links into."""
    for parent in list(interpreter.parents)[:3]:
        config = parent / "pyvenv.cfg"
        if config.is_file():
            for line in config.read_text(errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    return [package_root(Path(value.strip()) / "python")]
    return []


SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc")


def unique_outside_system(folders: list[Path]) -> list[Path]:
    """The folders the sandbox does not show already, each once, none inside another;
    never the root, a home folder or a folder above one (the user's other files)."""
    kept: list[Path] = []
    shown = [Path(top) for top in SYSTEM_FOLDERS] + [Path(sys.prefix).resolve()]
    home = Path.home()
    for folder in sorted(set(folders), key=lambda path: len(path.parts)):
        too_wide = folder == home or folder in home.parents or len(folder.parts) < 2
        if too_wide or any(folder.is_relative_to(top) for top in shown + kept):
            continue
        kept.append(folder)
    return kept
