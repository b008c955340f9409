"""Images: one named by the benchmark is used as it is (pulled only when it is not here);
one built from a Dockerfile is built once per digest of the Dockerfile and its build
context, tagged locally (``localhost/gaobench-NAME:DIGEST``), and reused by every run,
agent, attempt and xdist worker. A lock file per digest makes the others wait for the one
that builds. The context is the benchmark author's, read as it is: its files are hashed,
links by their target text, never followed."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..sandbox.file_lock import held
from .engine import ContainerError, Engine, build_options, last_line

FORMAT = b"gaobench-image-1"
BUILD_SECONDS = 3600.0


def context_digest(dockerfile: Path, context: Path) -> str:
    """What a built image depends on: the Dockerfile and every file of the context, by
    relative path, kind and content (a link by its target, never followed)."""
    digest = hashlib.sha256(FORMAT)
    digest.update(b"\0dockerfile\0" + dockerfile.read_bytes())
    for folder, names, files in os.walk(context, followlinks=False):
        names.sort()
        for name in sorted(files):
            path = Path(folder, name)
            relative = path.relative_to(context).as_posix().encode()
            if path.is_symlink():
                digest.update(b"\0link\0" + relative + b"\0" + os.readlink(path).encode())
            elif path.is_file():
                digest.update(b"\0file\0" + relative + b"\0")
                with path.open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
    return digest.hexdigest()


def built_image(engine: Engine, name: str, dockerfile: Path, context: Path, cache: Path,
                log: Path) -> tuple[str, bool]:
    """The tag of ``dockerfile``'s image (built now unless it is there) and whether this
    call built it. ``log``: the build's output."""
    if not dockerfile.is_file():
        raise ContainerError(f"the Dockerfile {dockerfile} is not there")
    safe = re.sub(r"[^a-z0-9_.-]", "-", name.lower())[:60] or "benchmark"
    digest = context_digest(dockerfile, context)[:16]
    tag = f"localhost/gaobench-{safe}:{digest}"
    with held(cache / f"{safe}-{digest}.lock"):
        if engine.run("image", "inspect", tag).returncode == 0:
            return tag, False
        done = engine.run("build", *build_options(engine), "-t", tag, "-f",
                          str(dockerfile), str(context), timeout=BUILD_SECONDS)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
            raise ContainerError(f"{engine.name} build of {dockerfile} failed: "
                                 f"{' | '.join(tail)} (the whole output: {log})")
    return tag, True


def present_image(engine: Engine, image: str) -> str:
    """``image``, pulled when it is not here yet."""
    if engine.run("image", "inspect", image).returncode == 0:
        return image
    done = engine.run("pull", image, timeout=BUILD_SECONDS)
    if done.returncode != 0:
        raise ContainerError(f"the image {image} is not here and could not be pulled: "
                             f"{last_line(done)}")
    return image
