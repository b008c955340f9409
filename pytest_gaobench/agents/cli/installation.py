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
import re
import shlex
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...model.spec import BenchmarkConfig

SHEBANG_LIMIT = 512


@dataclass(frozen=True)
class Installation:
    program: Path
    """The resolved program."""
    folders: list[Path] = field(default_factory=list)
    """What the sandbox shows read-only for it to run."""
    argv: list[str] = field(default_factory=list)
    """How to start it: the program itself, or its ``#!/usr/bin/env NAME`` interpreter
    (found on this machine's PATH) and the program, so a container whose PATH is the
    image's starts the same one."""
    runtime: list[Path] = field(default_factory=list)
    """What a container shows read-only, at the same paths, for it to run on an image
    that is not this machine (``runtime_pieces``)."""
    probe: list[str] = field(default_factory=list)
    """A command that starts only where the program can run (``probe_argv``)."""


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
    from ..base import SetupError

    found = executable or shutil.which(command)
    if found is None or not os.access(found, os.X_OK):
        raise SetupError(f"the {label} (`{command}`) is not on PATH: install it with "
                         f"`{hint}`")
    return Path(found).resolve()


def installation_of(program: Path) -> Installation:
    resolved = program.resolve()
    folders = [package_root(resolved)]
    runtime = runtime_pieces(resolved)
    words = shebang_words(resolved)
    interpreter = interpreter_named(words)
    argv = [str(resolved)]
    if interpreter is not None:
        base = base_interpreter(interpreter)
        folders += [package_root(interpreter), *([package_root(base)] if base else [])]
        runtime += [*runtime_pieces(interpreter), *(runtime_pieces(base) if base else [])]
        if len(words) == 2 and Path(words[0]).name == "env":  # `#!/usr/bin/env NAME`:
            argv = [str(interpreter), str(resolved)]  # NAME as found here, not the image's
    return Installation(resolved, unique_outside_system(folders), argv,
                        narrowest_first(runtime), probe_argv(interpreter or resolved))


SYSTEM_PREFIXES = (Path("/usr"), Path("/usr/local"), Path("/"))
PYTHON_NAME = re.compile(r"python(\d+\.\d+)")


def runtime_pieces(path: Path) -> list[Path]:
    """What a container shows for ``path`` to run there: its installation
    (``package_root``) when that is a folder of its own (a virtualenv, an npm package, a
    pyenv or nvm installation); when it is a system prefix (``/usr``) only the file and,
    for a Python, its standard library: the image's own ``/usr`` stays the image's."""
    root = package_root(path)
    if root not in SYSTEM_PREFIXES:
        return [root]
    named = PYTHON_NAME.fullmatch(path.name)
    library = root / "lib" / f"python{named.group(1)}" if named else None
    return [path, *([library] if library is not None and library.is_dir() else [])]


def narrowest_first(paths: list[Path]) -> list[Path]:
    """``paths`` each once, none inside another (the widest kept), never the root nor a
    home folder or above one."""
    kept: list[Path] = []
    home = Path.home()
    for path in sorted(set(paths), key=lambda each: len(each.parts)):
        too_wide = path == home or path in home.parents or len(path.parts) < 2
        if not too_wide and not any(path.is_relative_to(top) for top in kept):
            kept.append(path)
    return kept


def probe_argv(program: Path) -> list[str]:
    """A quick command that fails where ``program`` cannot run (a musl image and a glibc
    binary, a library missing): a Python imports what the forwarder and agents need, a
    Node.js evaluates nothing, anything else says its version."""
    if PYTHON_NAME.fullmatch(program.name) or program.name in ("python", "python3"):
        return [str(program), "-I", "-c", "import socket, subprocess, threading"]
    if program.name in ("node", "nodejs", "bun"):
        return [str(program), "-e", "0"]
    return [str(program), "--version"]


def harness_python() -> Installation:
    """This interpreter, as a container needs it (the forwarder to the metering proxy
    runs in it)."""
    executable = Path(sys.executable).resolve()
    return Installation(executable, [], [str(executable)],
                        narrowest_first(runtime_pieces(executable)), probe_argv(executable))


def package_root(path: Path) -> Path:
    """The narrowest thing to show for a file to run: its installation when it is an
    installed package (the virtualenv around it, pipx and uv tool environments included;
    the npm package inside ``node_modules`` it belongs to; a Node.js or Python
    installation's ``bin/`` and ``lib/``), else the file alone. Never the folder a script
    merely sits in, nor a project above it: that folder may hold the benchmark, its oracle
    and hidden tests, or the runs folder."""
    home = Path.home()
    for parent in list(path.parents)[:6]:
        if parent == home or parent in home.parents:
            break  # never the user's home or above it: the file alone
        if (parent / "pyvenv.cfg").is_file():
            return parent
        if (parent / "package.json").is_file() and "node_modules" in parent.parts:
            return parent
    bin_folder = path.parent
    if bin_folder.name == "bin" and runtime_beside(bin_folder.parent):
        return bin_folder.parent  # a Node.js or Python installation: bin/ and lib/
    return path


def runtime_beside(prefix: Path) -> bool:
    """Whether ``prefix`` is a Node.js or Python installation (never a home folder)."""
    if prefix == Path.home() or prefix in Path.home().parents:
        return False
    lib = prefix / "lib"
    return (lib / "node_modules").is_dir() or any(lib.glob("python3*"))


def shebang_words(program: Path) -> list[str]:
    """The words of a script's ``#!`` line ([] for anything else). Only a regular file is
    opened (never a FIFO or a device, which could block), without following a link at its
    last step, and no more than its first line is read."""
    try:
        descriptor = os.open(program, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return []
        first = file.read(SHEBANG_LIMIT).split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return []
    try:
        return shlex.split(first[2:].decode(errors="replace"))
    except ValueError:
        return []


def shebang_interpreter(program: Path) -> Path | None:
    """The interpreter a script's ``#!`` line names, resolved (``env NAME`` on PATH)."""
    return interpreter_named(shebang_words(program))


def interpreter_named(words: list[str]) -> Path | None:
    """The interpreter a ``#!`` line's words name, resolved (``env NAME`` on PATH)."""
    if not words:
        return None
    if Path(words[0]).name == "env":
        named = [word for word in words[1:] if not word.startswith("-")]
        found = shutil.which(named[0]) if named else None
        return Path(found).resolve() if found else None
    path = Path(words[0])
    return path.resolve() if path.is_file() else None


def base_interpreter(interpreter: Path) -> Path | None:
    """The interpreter a virtualenv's was made from (its ``pyvenv.cfg``'s ``home``), which
    its own links into: its installation is shown too."""
    for parent in list(interpreter.parents)[:3]:
        config = parent / "pyvenv.cfg"
        if config.is_file():
            for line in config.read_text(errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    home = Path(value.strip())
                    found = [home / name for name in ("python", "python3")
                             if (home / name).exists()]
                    return found[0].resolve() if found else home / "python"
    return None


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


def protected_paths(config: BenchmarkConfig, runs_root: Path) -> list[Path]:
    """What no folder shown to an agent may hold: the runs folder, and the benchmark's
    oracle, hidden tests and grading patch."""
    patch = config.grading_patch_file
    found = [runs_root, config.oracle_dir, config.grading_tests_dir,
             patch.parent if patch is not None else None]
    return [path.resolve() for path in found if path is not None]


def refuse_protected(shown: list[Path], protected: list[Path], program: str) -> None:
    """A SetupError, before any work, when a folder to show holds a protected one."""
    from ..base import SetupError

    for folder in shown:
        held = next((path for path in protected if path.is_relative_to(folder.resolve())), None)
        if held is not None and folder.is_dir():
            raise SetupError(
                f"{program} would show the sandbox the folder {folder}, which holds {held} "
                f"(the runs folder, or the benchmark's oracle, hidden tests or grading "
                f"files): move the program out of that folder, or show only what it needs "
                f"with --gaobench-sandbox-show")
