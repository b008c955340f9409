"""The checks of a benchmark that look at the disk: the folders and files it names exist,
and stay inside the benchmark's folder (links included)."""

from __future__ import annotations

from pathlib import Path

from ..model.spec import BenchmarkConfig, Loc
from .yaml_source import resolved_below


def path_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    """Each named folder or file that is missing, of the wrong kind, or outside."""
    criteria = config.success_criteria
    named: list[tuple[Loc, str | None, bool]] = [
        (("boilerplate_path",), config.boilerplate_path, True),
        (("oracle",), config.oracle, True),
        (("success_criteria", "grading_tests"), criteria.grading_tests, True),
        (("success_criteria", "lint", "config"),
         criteria.lint.config if criteria.lint else None, False),
        (("success_criteria", "grading_patch"), criteria.grading_patch, False)]
    base = config.base_dir  # resolved: the loader resolves the source path
    found: list[tuple[Loc, str]] = []
    for loc, value, folder in named:
        problem = path_problem(base, value, folder=folder) if value else None
        if problem:
            found.append((loc, problem))
    return found


def path_problem(base: Path, relative: str, *, folder: bool = True) -> str | None:
    """What is wrong with the folder (or, with ``folder=False``, the file) ``relative`` to
    ``base`` (already resolved), if anything."""
    target = resolved_below(base, relative)
    if not target.is_relative_to(base):
        return f"{relative!r} points outside the benchmark's folder {base}"
    if not target.exists():
        return f"{relative!r} does not exist (looked for {target})"
    if folder and not target.is_dir():
        return f"{relative!r} is not a folder"
    if not folder and not target.is_file():
        return f"{relative!r} is not a file (looked for {target})"
    return None
