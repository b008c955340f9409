"""Process isolation without Docker: bubblewrap around every sandbox command.

Inside: the system folders programs need and the interpreter, read-only; the workspace
the only writable place (plus a private /tmp); nothing else of the machine (not the
benchmark's folder with its oracle and hidden tests, not the results folder, not the
user's home or key files); no network unless the caller asks for it, its own PID
namespace (killing bwrap ends every process in it), and the already scrubbed
environment. Every process inside runs in a user namespace of its own as an
unprivileged uid with no capabilities, and cannot make another user namespace: even
when the harness is root (a CI container), open-by-handle, raw sockets, mknod and mount
fail inside. Where bubblewrap is missing, or user namespaces are not available, the
harness says so and runs with less, unless isolation is ``required``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`)"


class IsolationMode(StrEnum):
    AUTO = "auto"
    REQUIRED = "required"
    NONE = "none"


class IsolationUnavailable(RuntimeError):
    """Isolation was required but bubblewrap cannot be used here."""


@dataclass(frozen=True)
class Isolation:
    bwrap: str | None = None
    """Path of a working bwrap; None runs commands without isolation."""
    hidden: Path | None = None
    """The harness's folder (runs, database), invisible inside."""
    user_namespace: bool = True
    """Whether bwrap can make a user namespace here (else, as root, capabilities are still
    dropped, but processes keep uid 0)."""

    @property
    def name(self) -> str:
        return "bwrap" if self.bwrap else "none"

    def wrap(self, argv: Sequence[str], *, workspace: Path, cwd: Path, network: bool = False,
             writable: Sequence[Path] = (), readable: Sequence[Path] = (),
             placed: Mapping[str, Path] = {}) -> list[str]:
        """``argv`` under bubblewrap. The new root is empty but for what is bound in: the
        system folders read-only, the interpreter and its packages read-only, a private
        /tmp, ``readable`` files read-only and the workspace (and ``writable``) read-write;
        ``placed`` binds harness paths (a Unix socket) at other paths inside.
        The benchmark's folder, .gaobench, the user's home and key files are not there."""
        if self.bwrap is None:
            return list(argv)
        command = [self.bwrap]
        shown: list[Path] = []
        for top in SYSTEM_PATHS:
            path = Path(top)
            if path.is_symlink():  # /bin -> usr/bin on merged-/usr systems
                command += ["--symlink", os.readlink(path), top]
            elif path.exists():
                command += ["--ro-bind", top, top]
                shown.append(path)
        command += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for path in interpreter_paths():
            if not any(path.is_relative_to(parent) for parent in shown):
                command += ["--ro-bind", str(path), str(path)]
                shown.append(path)
        # Empty, read-only folders where the results folder would show through something
        # shown, and around the workspace (its run folder: result, logs, lock).
        covers = [workspace.parent]
        if self.hidden and any(self.hidden.is_relative_to(parent) for parent in shown):
            covers.insert(0, self.hidden)
        for cover in covers:
            command += ["--tmpfs", str(cover)]
        for path in readable:  # e.g. the oracle script, and only it, of the benchmark folder
            command += ["--ro-bind", str(path), str(path)]
        for path in (workspace, *writable):
            command += ["--bind", str(path), str(path)]
        for inside, path in placed.items():
            command += ["--bind", str(path), inside]
        for cover in (*covers, Path("/")):  # "/": nothing to write in the new root itself
            command += ["--remount-ro", str(cover)]
        command += [*privilege_args(self.user_namespace), "--unshare-pid", "--unshare-ipc",
                    "--unshare-uts", "--die-with-parent", "--new-session", "--chdir", str(cwd)]
        if not network:
            command.append("--unshare-net")
        return [*command, "--", *argv]


SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""What programs need of the system, shown read-only inside the sandbox."""


@functools.cache
def interpreter_paths() -> tuple[Path, ...]:
    """Where this Python and its packages live, and this package's own folder (an editable
    install lives outside site-packages): sandbox commands run the same interpreter, and its
    pytest loads the same plugins. The interpreter's own sys.path is asked of a fresh,
    isolated interpreter, so folders pytest added to this process's path (the user's
    project, the benchmark's folder) are not among them."""
    fresh = subprocess.run([sys.executable, "-I", "-c",
                            "import sys, json; print(json.dumps(sys.path))"],
                           capture_output=True, text=True, timeout=60, check=False)
    try:
        entries = [Path(p) for p in json.loads(fresh.stdout) if p]
    except ValueError:
        entries = []
    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent,
                  Path(sys.executable).resolve().parent, Path(__file__).resolve().parents[1],
                  *entries}
    found = sorted({p.resolve() for p in candidates if p.is_dir()})
    # Only the outermost of nested folders needs binding.
    return tuple(p for p in found if not any(p != q and p.is_relative_to(q) for q in found))


UNPRIVILEGED_ID = 65534
"""The uid and gid inside when the harness is root ("nobody"); any other user keeps its own
ids, mapped, in the sandbox's user namespace."""


def privilege_args(user_namespace: bool) -> list[str]:
    """No capabilities inside; with a user namespace, an unprivileged uid that cannot make
    another one. ``--cap-drop`` alone (no user namespace) still leaves root its uid."""
    if not user_namespace:
        return ["--cap-drop", "ALL"] if os.geteuid() == 0 else []
    uid = os.geteuid() or UNPRIVILEGED_ID
    gid = os.getegid() or UNPRIVILEGED_ID
    return ["--unshare-user", "--uid", str(uid), "--gid", str(gid), "--disable-userns",
            "--cap-drop", "ALL"]


def _probe(path: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                           *extra, "--unshare-pid", "--unshare-net", "true"],
                          capture_output=True, text=True, timeout=20)


def find_bwrap() -> tuple[str | None, str]:
    """A bwrap that works here, or None and the reason it cannot be used."""
    path = shutil.which("bwrap")
    if path is None:
        return None, "bubblewrap (bwrap) is not installed"
    try:
        probe = _probe(path)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bwrap could not start: {exc}"
    if probe.returncode != 0:
        return None, f"bwrap cannot create namespaces here: {probe.stderr.strip()}"
    return path, ""


def user_namespace_problem(bwrap: str) -> str | None:
    """Why bwrap cannot run commands in a user namespace without capabilities, or None."""
    try:
        probe = _probe(bwrap, *privilege_args(True))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if probe.returncode == 0:
        return None
    detail = probe.stderr.strip() or f"exit code {probe.returncode}"
    return (f"bwrap cannot run commands in a user namespace here ({detail}): it needs "
            f"bubblewrap 0.8 or newer and unprivileged user namespaces (sysctl "
            f"user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1, or a container "
            f"seccomp profile that allows them)")


def choose_isolation(mode: IsolationMode, hidden: Path) -> tuple[Isolation, str | None]:
    """The isolation to use, and a warning to show when it is weaker than asked."""
    if mode is IsolationMode.NONE:
        return Isolation(), None
    path, reason = find_bwrap()
    if path is None:
        if mode is IsolationMode.REQUIRED:
            raise IsolationUnavailable(f"--gaobench-isolation=required, but {reason}: "
                                       f"{INSTALL_HINT}")
        return Isolation(), (f"sandbox commands run without isolation ({reason}): the agent "
                             f"can read the oracle, hidden grading tests, other runs and key "
                             f"files, so grades and secrets are not protected; {INSTALL_HINT},"
                             f" or pass --gaobench-isolation=none to silence this")
    problem = user_namespace_problem(path)
    if problem is None:
        return Isolation(bwrap=path, hidden=hidden), None
    if mode is IsolationMode.REQUIRED:
        raise IsolationUnavailable(f"--gaobench-isolation=required, but {problem}")
    as_root = ("as root with its capabilities dropped, but still uid 0"
               if os.geteuid() == 0 else "as your own user")
    return Isolation(bwrap=path, hidden=hidden, user_namespace=False), (
        f"sandbox commands run under bubblewrap without a user namespace ({problem}): they "
        f"run {as_root}; pass --gaobench-isolation=none to silence this")
