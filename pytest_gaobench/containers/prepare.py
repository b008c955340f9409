"""A run's container, end to end: the engine found, the image present or built once, the
workspace made from the image's working folder when the benchmark has no boilerplate, and
the container started with the workspace mounted there. Containers a killed session left
are removed first."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..logs.log import RunLog
from ..model.spec import BenchmarkConfig
from ..sandbox.sandbox import Sandbox
from .container import RunContainer, prune
from .engine import ContainerError, Engine, find_engine, run_options, said_tail
from .host import ContainerHost
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
    folder = sandbox.run_dir / "environment"
    folder.mkdir(exist_ok=True)
    image, built = image_of(config, engine, sandbox.runs_root / "cache" / "containers", folder)
    engine = run_options(engine, image)
    if config.boilerplate_path is None and config.boilerplate_url is None:
        copy_workdir(engine, image, spec.workdir, sandbox.workspace)
    container = RunContainer.start(engine, image, sandbox.workspace, sandbox.run_id,
                                   spec.workdir)
    sandbox.host = ContainerHost(container, sandbox.workspace, image, spec.grader_network)
    log.events.info("container_ready", engine=engine.name, image=image, built=built,
                    pruned=removed, container=container.name)
    return image


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
