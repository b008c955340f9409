"""Writing imported benchmarks without losing anything: an output that overlaps the
source is refused, an existing benchmark folder is replaced only when asked (``--force``),
and each benchmark is written in a temporary sibling and renamed into place, so a failure
half-way leaves the folder as it was."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Imported:
    """What an import wrote, and what it left out and why."""

    written: list[Path] = field(default_factory=list)
    """The benchmark files written."""
    skipped: dict[str, str] = field(default_factory=dict)
    """The source's item (an exercise, an instance, a task) -> why it was not imported."""


def benchmark_name(source_id: str) -> str:
    """An exercise's, instance's or task's id as a benchmark name (letters, digits, -, _)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", source_id)
    return name if name[:1].isalnum() else f"i{name}"


class ImportRefused(ValueError):
    """The import would lose data, or its output cannot be written: one line says why."""


def refuse_overlap(source: Path, out: Path) -> None:
    """An output inside the source, or holding it, could replace what is imported."""
    source, target = source.resolve(), out.resolve()
    if target == source or target.is_relative_to(source) or source.is_relative_to(target):
        raise ImportRefused(f"the output {out} overlaps the source {source}: give a folder "
                            f"outside it")


@contextmanager
def benchmark_folder(target: Path, *, force: bool) -> Iterator[Path]:
    """A fresh folder to write one benchmark in; renamed to ``target`` when the block
    ends without an error (replacing an existing ``target`` only with ``force``), and
    removed when it does not."""
    if target.parent.exists() and not target.parent.is_dir():
        raise ImportRefused(f"cannot write to {target.parent}: it is not a folder")
    if (target.exists() or target.is_symlink()) and not force:
        raise ImportRefused(f"{target} exists: not replaced (use --force to replace it)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        made = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise ImportRefused(f"cannot write to {target.parent}: {exc.strerror}") from None
    try:
        yield made
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        made.rename(target)
    except BaseException:
        shutil.rmtree(made, ignore_errors=True)
        raise
