"""A run's environment, end to end: the interpreter found, the shared part built or
reused, the run's layer made, and the ``install`` steps run in the sandbox (with the
network, the layer writable, both streams logged in ``environment/``). The sandbox then
carries the ``Toolchain`` every later command uses."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..containers.engine import ContainerError, UnrunnableImage
from ..containers.prepare import prepare_container
from ..logs.log import RunLog
from ..model.environments import PythonEnvironment
from ..model.spec import BenchmarkConfig
from ..sandbox.logged_step import run_logged_step, step_failure
from ..sandbox.sandbox import Sandbox
from ..sandbox.toolchain import Toolchain
from .errors import EnvironmentConfigError, EnvironmentSetupError
from .interpreters import find_interpreter
from .layer import make_layer
from .shared import shared_environment

PIP_SETTINGS = "PIP_"
"""The harness's pip settings (an index, find-links) reach the install steps, so they
install from where the user's pip does; nothing else of the harness's environment does."""


def prepare_environment(config: BenchmarkConfig, sandbox: Sandbox, log: RunLog,
                        needs_pytest: bool) -> None:
    """Give ``sandbox`` the benchmark's environment: its Python (a toolchain), or its
    container (the command host). ``needs_pytest``: the grader runs pytest in a Python
    environment, so a missing pytest is said now, not at grading."""
    if config.container is not None:
        try:
            prepare_container(config, sandbox, log)
        except UnrunnableImage as exc:
            raise EnvironmentConfigError(str(exc)) from exc
        except ContainerError as exc:
            raise EnvironmentSetupError(str(exc)) from exc
        return
    spec = config.python_environment
    assert spec is not None
    started = time.monotonic()
    interpreter = find_interpreter(spec.python)
    cache = sandbox.runs_root / "cache" / "python"
    shared = shared_environment(spec, interpreter, cache, config.base_dir,
                                spec.install_timeout_seconds)
    folder = sandbox.run_dir / "environment"
    folder.mkdir(exist_ok=True)
    layer = folder / "layer"
    python = make_layer(shared, layer)
    sandbox.toolchain = Toolchain(bin=layer / "bin", python=python, layer=layer,
                                  shown=(interpreter.prefix, shared.folder),
                                  env=dict(spec.env), test_network=spec.test_network)
    log.events.info("environment_ready", python=interpreter.version,
                    interpreter=str(interpreter.executable), shared=shared.folder.name,
                    built=shared.built, seconds=round(time.monotonic() - started, 3))
    _install(spec, sandbox, folder, layer, log)
    if needs_pytest:
        _require_pytest(spec, sandbox)


def _install(spec: PythonEnvironment, sandbox: Sandbox, folder: Path, layer: Path,
             log: RunLog) -> None:
    deadline = time.monotonic() + spec.install_timeout_seconds
    pip = {name: value for name, value in os.environ.items()
           if name.startswith(PIP_SETTINGS)}
    pip.setdefault("PIP_NO_CACHE_DIR", "1")  # else pip's cache lands in the workspace (HOME)
    pip.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    for index, command in enumerate(spec.install, start=1):
        output = folder / f"install-{index}.log"
        left = deadline - time.monotonic()
        done = run_logged_step(sandbox, command, output, timeout=max(left, 1.0),
                               network=True, writable=[layer], env=pip)
        log.events.info("environment_install", command=command, exit_code=done.exit_code,
                        timed_out=done.timed_out, seconds=round(done.duration_seconds, 3))
        if not done.ok:
            why = step_failure(done, output, f"timed out (install_timeout_seconds: "
                                             f"{spec.install_timeout_seconds:g})")
            raise EnvironmentSetupError(f"install step {command!r} {why}")


def _require_pytest(spec: PythonEnvironment, sandbox: Sandbox) -> None:
    toolchain = sandbox.toolchain
    assert toolchain is not None
    done = sandbox.run([str(toolchain.python), "-I", "-c", "import pytest"], timeout=120,
                       display="python -c 'import pytest'")
    if not done.ok:
        raise EnvironmentSetupError(
            f"the benchmark's tests run with pytest, which Python {spec.python}'s environment "
            f"does not have: add it to environment.packages (e.g. pytest==7.4.4)")
