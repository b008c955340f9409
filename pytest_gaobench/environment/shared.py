"""The shared part of an environment: a virtual environment of the interpreter with the
benchmark's ``packages``, built once per digest and reused by every run, agent, attempt,
repeat and xdist worker.

It lives in ``<gaobench dir>/cache/python/<name>/`` (beside the git mirrors). A lock file
per digest (flock) makes workers and parallel sessions wait for the one that builds; the
manifest is written last, so a build that was killed is built again, never half used.
It is built by the harness, outside the sandbox: nothing in it comes from an agent, and
the sandbox shows it read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..model.environments import PythonEnvironment
from ..sandbox.file_lock import held
from ..sandbox.sandbox import PASSED_ENV
from .errors import EnvironmentSetupError
from .interpreters import Interpreter

FORMAT = 1
"""Changes when the layout of a shared environment does: older builds are not reused."""
MANIFEST = "gaobench-environment.json"
SITE_PROBE = ("import json, sysconfig; paths = sysconfig.get_paths(); "
              "print(json.dumps(sorted({paths['purelib'], paths['platlib']})))")


@dataclass(frozen=True)
class SharedEnvironment:
    folder: Path
    interpreter: Interpreter
    site_packages: tuple[Path, ...]
    """Where its packages are: the run layers add them to their path."""
    built: bool
    """Whether this run built it (else it was there, built by an earlier one)."""
    log: Path
    """pip's output of the build."""


def digest_of(spec: PythonEnvironment, interpreter: Interpreter) -> str:
    """What the shared part depends on: the interpreter and the package list, as written."""
    key = {"format": FORMAT, "python": interpreter.version,
           "executable": str(interpreter.executable), "packages": spec.packages}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def shared_environment(spec: PythonEnvironment, interpreter: Interpreter, cache: Path,
                       workdir: Path, timeout: float) -> SharedEnvironment:
    """The shared environment of ``spec``, built in ``cache`` unless it is there already.
    ``workdir``: where pip runs (the benchmark's folder: a package given as a path is
    relative to it)."""
    version = ".".join(interpreter.version.split(".")[:2])
    name = f"py{version}-{digest_of(spec, interpreter)[:16]}"
    folder = cache / name
    log = cache / f"{name}.log"
    with held(cache / f"{name}.lock"):
        manifest = _manifest(folder)
        if manifest is not None:
            return SharedEnvironment(folder, interpreter, manifest, built=False, log=log)
        shutil.rmtree(folder, ignore_errors=True)  # a build that was stopped half way
        try:
            site = _build(spec, interpreter, folder, log, workdir, timeout)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return SharedEnvironment(folder, interpreter, site, built=True, log=log)


def _manifest(folder: Path) -> tuple[Path, ...] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return tuple(Path(path) for path in data["site_packages"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _build(spec: PythonEnvironment, interpreter: Interpreter, folder: Path, log: Path,
           workdir: Path, timeout: float) -> tuple[Path, ...]:
    python = folder / "bin" / "python"
    steps = [[str(interpreter.executable), "-m", "venv", str(folder)]]
    if spec.packages:
        steps.append([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                      "--no-input", *spec.packages])
    with open(log, "wb") as output:
        for argv in steps:
            output.write(f"$ {' '.join(argv)}\n".encode())
            output.flush()
            _step(argv, output, workdir, timeout, log)
        done = subprocess.run([str(python), "-c", SITE_PROBE], capture_output=True,
                              text=True, timeout=60, check=False)
    try:
        site = tuple(Path(path) for path in json.loads(done.stdout))
    except ValueError as exc:
        raise EnvironmentSetupError(f"the environment in {folder} does not say where its "
                                    f"packages are: {done.stderr.strip()[-500:]}") from exc
    (folder / MANIFEST).write_text(json.dumps({
        "python": interpreter.version, "packages": spec.packages,
        "site_packages": [str(path) for path in site]}, indent=2), encoding="utf-8")
    return site


BUILD_VARIABLES = (*PASSED_ENV, "HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
                   "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR")
"""What the build of the shared part sees of the harness's environment, besides pip's own
settings (``PIP_*``): never the API keys and other secrets, since the packages' own build
code runs here."""


def build_env() -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items()
            if name in BUILD_VARIABLES or name.startswith("PIP_")}
    return {**kept, "PIP_NO_INPUT": "1"}


def _step(argv: list[str], output: BinaryIO, workdir: Path, timeout: float, log: Path) -> None:
    what = "pip install" if "pip" in argv else "python -m venv"
    try:
        done = subprocess.run(argv, stdout=output, stderr=subprocess.STDOUT, cwd=workdir,
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False,
                              env=build_env())
    except subprocess.TimeoutExpired as exc:
        raise EnvironmentSetupError(f"building the environment timed out after "
                                    f"{timeout:g}s in {what}; its output: {log}") from exc
    except OSError as exc:
        raise EnvironmentSetupError(f"could not start {argv[0]}: {exc}") from exc
    if done.returncode != 0:
        tail = log.read_bytes()[-4000:].decode(errors="replace").strip().splitlines()[-8:]
        raise EnvironmentSetupError(f"building the environment failed: {what} exited with "
                                    f"{done.returncode}: {' | '.join(tail)} (the whole "
                                    f"output: {log})")
