"""Process isolation without Docker: bubblewrap around every sandbox command.

Inside: the system folders programs need and the interpreter, read-only; the workspace
the only writable place (plus a private /tmp); nothing else of the machine (not the
benchmark's folder with its oracle and hidden tests, not the results folder, not the
user's home or key files); no network unless the caller asks for it, its own PID
namespace (killing bwrap ends every process in it), and the already scrubbed
environment. Every process inside runs with no capabilities, in a user namespace of its
own that cannot make another one, and the kernel's knobs (``/proc/sys``) are read-only.

When the harness is root (most CI jobs), a user namespace alone is not enough: its uid
maps onto the harness's, so the process would still own every root-owned file of the
host. There bubblewrap mounts the sandbox as root, then the command drops to an
unprivileged host uid (``nobody``) with ``setpriv`` and enters a user namespace of that
uid (a second bwrap), so nothing inside is the host's root. Where bubblewrap is missing,
or user namespaces are not available, the harness says so and runs with less, unless
isolation is ``required``.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
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
class HostUser:
    """The unprivileged host ids sandboxed processes run as when the harness is root."""

    uid: int
    gid: int
    setpriv: str
    """The path of util-linux's setpriv, which drops to them."""

    def drop(self) -> list[str]:
        """Become ``uid``/``gid`` with no groups, capabilities or way to gain any back."""
        return [self.setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


@dataclass(frozen=True)
class Isolation:
    bwrap: str | None = None
    """Path of a working bwrap; None runs commands without isolation."""
    hidden: Path | None = None
    """The harness's folder (runs, database), invisible inside."""
    user_namespace: bool = True
    """Whether bwrap can make a user namespace here (for ``runs_as``: whether that user
    can). Without one, capabilities are still dropped."""
    runs_as: HostUser | None = None
    """The host user sandboxed processes become when the harness is root; None: the
    harness's own uid (never root: then ``runs_as`` is set)."""

    @property
    def name(self) -> str:
        return "bwrap" if self.bwrap else "none"

    @property
    def owner(self) -> tuple[int, int] | None:
        """The ids the workspace must belong to while sandboxed commands run, when they are
        not the harness's own."""
        return (self.runs_as.uid, self.runs_as.gid) if self.bwrap and self.runs_as else None

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
        inner = self._inner(cwd)
        command += ["--dev", "/dev", "--proc", "/proc"]
        if not self._nested:  # else the inner bwrap, which must still write its own knob
            command += KNOBS_READ_ONLY
        # World-writable (sticky) when the command runs as another user than bwrap.
        command += [*(["--perms", "1777"] if self.runs_as else []), "--tmpfs", "/tmp"]
        system = list(shown)
        for path in interpreter_paths():
            if not any(path.is_relative_to(parent) for parent in shown):
                shown.append(path)
        interpreter = shown[len(system):]
        command += self._open_folders_above(interpreter, system)
        for path in interpreter:
            command += ["--ro-bind", str(path), str(path)]
        # Empty, read-only folders where the results folder would show through something
        # shown, and around the workspace (its run folder: result, logs, lock).
        covers = [workspace.parent]
        if self.hidden and any(self.hidden.is_relative_to(parent)
                               for parent in [*shown, *readable]):
            covers.insert(0, self.hidden)
        for cover in covers:
            command += ["--tmpfs", str(cover)]
        # Then what is shown of the harness's folders (a prompt file in the run folder, the
        # oracle script of the benchmark's), and the writable folders; agents are never
        # shown a folder that holds a cover (agents.installation.refuse_protected).
        bound = [*readable, *self._tools_outside(shown)]
        command += self._open_folders_above([*bound, workspace, *writable, *map(Path, placed)],
                                            system)
        for path in bound:
            command += ["--ro-bind", str(path), str(path)]
        for path in (workspace, *writable):
            command += ["--bind", str(path), str(path)]
        for inside, path in placed.items():
            command += ["--bind", str(path), inside]
        for cover in (*covers, Path("/")):  # "/": nothing to write in the new root itself
            command += ["--remount-ro", str(cover)]
        command += [*self._outer_privileges(), "--unshare-pid", "--unshare-ipc",
                    "--unshare-uts", "--die-with-parent", "--new-session",
                    # A root without capabilities may not enter the runs_as user's workspace.
                    "--chdir", "/" if self.runs_as else str(cwd)]
        if not network:
            command.append("--unshare-net")
        return [*command, "--", *inner, *argv]

    def _open_folders_above(self, paths: Sequence[Path], shown: Sequence[Path]) -> list[str]:
        """Folders of the new root on the way to ``paths``, made before them, traversable
        by ``runs_as`` (bwrap would make them 0700, root's). Made again after a cover: the
        cover's tmpfs hides the ones made before it."""
        if self.runs_as is None:
            return []
        above = {parent for path in paths for parent in path.parents if parent != Path("/")}
        made = sorted((folder for folder in above
                       if not any(folder.is_relative_to(top) for top in shown)),
                      key=lambda folder: len(folder.parts))
        return [arg for folder in made for arg in ("--perms", "0755", "--dir", str(folder))]

    @property
    def _nested(self) -> bool:
        """Whether a second bwrap, run as ``runs_as``, makes the user namespace."""
        return self.runs_as is not None and self.user_namespace

    def _outer_privileges(self) -> list[str]:
        if self.runs_as is None:
            return privilege_args(self.user_namespace)
        # Root mounts the sandbox; the command keeps only what dropping to runs_as needs.
        return ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_SETPCAP"]

    def _tools_outside(self, shown: Sequence[Path]) -> list[Path]:
        """setpriv and bwrap, where the drop to ``runs_as`` needs them and the system
        folders do not show them."""
        if self.runs_as is None or self.bwrap is None:
            return []
        tools = [Path(self.runs_as.setpriv), *([Path(self.bwrap)] if self._nested else [])]
        return [tool for tool in tools if not any(tool.is_relative_to(top) for top in shown)]

    def _inner(self, cwd: Path) -> list[str]:
        """What runs between the outer bwrap and the command when the harness is root: the
        drop to ``runs_as``, then (where that user may make one) a user namespace of that
        uid that can make no other, over the same view."""
        if self.runs_as is None:
            return []
        drop = self.runs_as.drop()
        if not self._nested or self.bwrap is None:
            return [*drop, "/bin/sh", "-c", 'cd -- "$0" && exec "$@"', str(cwd)]
        ids = [str(self.runs_as.uid), str(self.runs_as.gid)]
        return [*drop, self.bwrap, "--dev-bind", "/", "/", *KNOBS_READ_ONLY, "--unshare-user",
                "--uid", ids[0], "--gid", ids[1], "--disable-userns", "--cap-drop", "ALL",
                "--die-with-parent", "--chdir", str(cwd), "--"]


KNOBS_READ_ONLY = ["--ro-bind", "/proc/sys", "/proc/sys",
                   "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger"]
"""The kernel's settings, read-only inside whoever the sandbox runs as (bwrap already
covers /proc/irq and /proc/bus; /sys is not shown at all)."""


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
"""The host uid and gid sandboxed processes run as when the harness is root ("nobody",
"nogroup" on Debian); any other user keeps its own ids, mapped, in the sandbox's user
namespace."""
SETPRIV_HINT = "install util-linux, which has setpriv (Debian/Ubuntu: `apt-get install util-linux`)"


def privilege_args(user_namespace: bool) -> list[str]:
    """For a harness that is not root: no capabilities inside; with a user namespace, its
    own uid mapped, unable to make another one."""
    if not user_namespace:
        return []
    return ["--unshare-user", "--uid", str(os.geteuid()), "--gid", str(os.getegid()),
            "--disable-userns", "--cap-drop", "ALL"]


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


USERNS_HINT = ("it needs bubblewrap 0.8 or newer and unprivileged user namespaces (sysctl "
               "user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1, or a "
               "container seccomp profile that allows them)")


def user_namespace_problem(bwrap: str) -> str | None:
    """Why bwrap cannot run commands in a user namespace without capabilities, or None."""
    try:
        probe = _probe(bwrap, *privilege_args(True))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if probe.returncode == 0:
        return None
    detail = probe.stderr.strip() or f"exit code {probe.returncode}"
    return f"bwrap cannot run commands in a user namespace here ({detail}): {USERNS_HINT}"


def probe_wrapped(isolation: Isolation) -> str | None:
    """Why ``true`` cannot run in a sandbox of ``isolation`` (a workspace of the sandbox's
    owner, as the runs have), or None when it ran."""
    with tempfile.TemporaryDirectory(prefix="gaobench-probe-") as scratch:
        workspace = Path(scratch, "run", "workspace")
        workspace.mkdir(parents=True)
        if isolation.owner is not None:
            os.chown(workspace, *isolation.owner)
        argv = isolation.wrap(["true"], workspace=workspace, cwd=workspace)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                                  cwd=workspace, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not start: {exc}"
    return None if done.returncode == 0 else (done.stderr.strip()
                                              or f"exit code {done.returncode}")


def nobody() -> tuple[int, int]:
    """The host's "nobody" user and its group, by name where the system has them."""
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return UNPRIVILEGED_ID, UNPRIVILEGED_ID
    return entry.pw_uid, entry.pw_gid


def isolation_as_root(mode: IsolationMode, bwrap: str, hidden: Path
                      ) -> tuple[Isolation, str | None]:
    """The harness is root: commands drop to ``nobody``, inside a user namespace of that
    uid where it may make one (and then cannot make another)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        if mode is IsolationMode.REQUIRED:
            raise IsolationUnavailable(f"--gaobench-isolation=required and the harness runs "
                                       f"as root, but setpriv is not installed: "
                                       f"{SETPRIV_HINT}")
        return Isolation(bwrap=bwrap, hidden=hidden), (
            f"the harness runs as root and setpriv is not installed, so sandbox commands run "
            f"as the host's root (capabilities dropped): they can read root-only files; "
            f"{SETPRIV_HINT}")
    uid, gid = nobody()
    user = HostUser(uid=uid, gid=gid, setpriv=setpriv)
    problems = []
    for user_namespace in (True, False):
        isolation = Isolation(bwrap=bwrap, hidden=hidden, runs_as=user,
                              user_namespace=user_namespace)
        problem = probe_wrapped(isolation)
        if problem is None:
            return isolation, None
        problems.append(problem)
    detail = f"bwrap cannot run commands as uid {uid} here ({problems[-1]})"
    if mode is IsolationMode.REQUIRED:
        raise IsolationUnavailable(f"--gaobench-isolation=required, but {detail}")
    return Isolation(), (f"sandbox commands run without isolation ({detail}): the agent runs "
                         f"as the host's root; pass --gaobench-isolation=none to silence this")


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
    if os.geteuid() == 0:
        return isolation_as_root(mode, path, hidden)
    problem = user_namespace_problem(path)
    if problem is None:
        return Isolation(bwrap=path, hidden=hidden), None
    if mode is IsolationMode.REQUIRED:
        raise IsolationUnavailable(f"--gaobench-isolation=required, but {problem}")
    return Isolation(bwrap=path, hidden=hidden, user_namespace=False), (
        f"sandbox commands run under bubblewrap without a user namespace ({problem}): they "
        f"run as your own user; pass --gaobench-isolation=none to silence this")
