"""A run's container, end to end: the engine found, the image present or built once, the
workspace made from the image's working folder when the benchmark has no boilerplate, and
the container started with the workspace mounted there. Containers a killed session left
are removed first."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..logs.log import RunLog
from ..model.spec import BenchmarkConfig
from ..sandbox.agent_runtime import AgentRuntime
from ..sandbox.sandbox import FORWARDER, Sandbox
from .container import RunContainer, alive, prune
from .engine import (
    PROBE_SECONDS,
    ContainerError,
    Engine,
    UnrunnableImage,
    find_engine,
    run_options,
    said_tail,
)
from .host import FORWARDER_NAME, ContainerHost
from .images import built_image, present_image


def image_of(config: BenchmarkConfig, engine: Engine, cache: Path, log_folder: Path
             ) -> tuple[str, bool]:
    """The benchmark's image (built or pulled when needed), and whether it was built now."""
    spec = config.container
    assert spec is not None
    if spec.image is not None:
        return present_image(engine, spec.image), False
    assert spec.dockerfile is not None
    dockerfile = config.base_dir / spec.dockerfile
    context = config.base_dir / spec.context if spec.context else dockerfile.parent
    return built_image(engine, config.name, dockerfile, context, cache,
                       log_folder / "image-build.log")


def prepare_container(config: BenchmarkConfig, sandbox: Sandbox, log: RunLog) -> str:
    """Start the run's container and make it the sandbox's command host; its image."""
    spec = config.container
    assert spec is not None
    engine = find_engine(sandbox.container_engine)
    removed = prune(engine)
    prune_services()
    folder = sandbox.run_dir / "environment"
    folder.mkdir(exist_ok=True)
    image, built = image_of(config, engine, sandbox.runs_root / "cache" / "containers", folder)
    engine = run_options(engine, image)
    if config.boilerplate_path is None and config.boilerplate_url is None:
        copy_workdir(engine, image, spec.workdir, sandbox.workspace)
    runtime = sandbox.agent_runtime or AgentRuntime(label="agent")
    services = services_folder() if runtime.forwarder_python else None
    try:
        container = RunContainer.start(engine, image, sandbox.workspace, sandbox.run_id,
                                       spec.workdir, network=config.allow_network,
                                       shown=runtime.mounts, services=services)
    except BaseException:
        if services is not None:
            shutil.rmtree(services, ignore_errors=True)
        raise
    sandbox.host = ContainerHost(container, sandbox.workspace, image, spec.grader_network,
                                 forwarder_python=runtime.forwarder_python)
    log.events.info("container_ready", engine=engine.name, image=image, built=built,
                    pruned=removed, container=container.name,
                    shown=[str(path) for path in runtime.mounts],
                    services=str(services) if services else None)
    refuse_unrunnable(container, image, runtime)
    return image


SERVICES_PREFIX = "gaobench-svc-"


def services_folder() -> Path:
    """A private folder for the metering proxy's socket and the forwarder (short: a Unix
    socket's path holds ~100 bytes), mounted in before the proxy starts; named by this
    process, so a later session removes what a killed one left (``prune_services``)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{SERVICES_PREFIX}{os.getpid()}-"))
    shutil.copyfile(FORWARDER, folder / FORWARDER_NAME)
    return folder


def prune_services(top: Path | None = None) -> list[Path]:
    """Remove the services folders of harness processes that are gone; those removed."""
    removed = []
    for folder in (top or Path(tempfile.gettempdir())).glob(f"{SERVICES_PREFIX}*-*"):
        pid = folder.name.removeprefix(SERVICES_PREFIX).partition("-")[0]
        if pid.isdigit() and not alive(int(pid)) and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def refuse_unrunnable(container: RunContainer, image: str, runtime: AgentRuntime) -> None:
    """A set-up error naming the fix when the image cannot run the agent's programs."""
    for probe in runtime.probes:
        done = container.exec(list(probe), timeout=PROBE_SECONDS)
        if not done.ok:
            said = done.tail(2, 300) or f"exit code {done.exit_code}"
            raise UnrunnableImage(
                f"the image {image} cannot run the {runtime.label}: `{' '.join(probe)}` "
                f"failed inside ({said}). Its programs are this machine's, shown read-only: "
                f"use an image with glibc (Debian or Ubuntu based, python:3.x-slim), or "
                f"install the agent in the image and run it as the command agent "
                f"(--gaobench-agent=command --gaobench-agent-command '...')")


def copy_workdir(engine: Engine, image: str, workdir: str, workspace: Path) -> None:
    """The image's working folder as the workspace's start (the task's files)."""
    created = engine.run("create", "--entrypoint", "true", image)
    if created.returncode != 0:
        raise ContainerError(f"{engine.name} could not create a container of {image}: "
                             f"{said_tail(created)}")
    name = created.stdout.decode().strip()
    try:
        with tempfile.TemporaryDirectory(prefix="gaobench-workdir-") as scratch:
            done = engine.run("cp", f"{name}:{workdir}/.", scratch)
            if done.returncode != 0:  # an image without the folder starts empty
                return
            for entry in Path(scratch).iterdir():
                shutil.move(str(entry), workspace / entry.name)
    finally:
        engine.run("rm", "--force", name)
