"""Exercism practice exercises (a track's ``exercises/practice/<slug>/``) as benchmarks.

Each exercise's ``.meta/config.json`` names its files: ``solution`` (the stub the student
edits), ``test``, ``example`` (the reference solution, one per solution file) and
``editor`` (read-only helpers). The benchmark gets the stub, the editor files and the tests
as its boilerplate, the tests again as hidden grading tests (the agent may edit its copy;
the grade comes from the copy it never sees), the example as its oracle and
``.docs/instructions.md`` (with ``instructions.append.md``) as its prompt.

The track is the user's, but its files are still read carefully: only regular files, by
names that stay inside the exercise folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .writing import Imported, ImportRefused, benchmark_folder, refuse_overlap

PRACTICE = Path("exercises") / "practice"
FILE_LIMIT = 4 * 1024 * 1024


class ExerciseError(ValueError):
    """A track or an exercise that cannot be imported, with the reason."""




def import_track(track: Path, out: Path, *, timeout_seconds: int = 300,
                 force: bool = False) -> Imported:
    """Every practice exercise of ``track`` as a benchmark folder under ``out`` (an
    existing one is replaced only with ``force``)."""
    practice = track / PRACTICE
    if not practice.is_dir():
        raise ExerciseError(f"{track} has no {PRACTICE}/ folder: give an Exercism track's "
                           f"folder (a clone of github.com/exercism/<language>)")
    refuse_overlap(track, out)
    language = track_slug(track)
    imported = Imported()
    for exercise in sorted(p for p in practice.iterdir() if p.is_dir() and not p.is_symlink()):
        try:
            with benchmark_folder(out / exercise.name, force=force) as folder:
                written = import_exercise(exercise, folder, language=language,
                                          timeout_seconds=timeout_seconds)
            imported.written.append(out / exercise.name / written.name)
        except (ExerciseError, ImportRefused) as exc:
            imported.skipped[exercise.name] = str(exc)
        except OSError as exc:
            imported.skipped[exercise.name] = f"{exc.filename or exercise}: {exc.strerror}"
    return imported


def track_slug(track: Path) -> str:
    """The track's language slug (its config.json), else its folder's name."""
    try:
        slug = json.loads(_read(track, "config.json")).get("slug")
    except (ExerciseError, ValueError, AttributeError):
        slug = None
    return str(slug) if isinstance(slug, str) and slug.isidentifier() else track.name


def import_exercise(exercise: Path, target: Path, *, language: str,
                    timeout_seconds: int) -> Path:
    try:
        config = json.loads(_read(exercise, ".meta/config.json"))
    except ValueError as exc:
        raise ExerciseError(f".meta/config.json is not JSON ({exc})") from None
    files = config.get("files") if isinstance(config, dict) else None
    if not isinstance(files, dict):
        raise ExerciseError(".meta/config.json names no files")
    solution, tests = _names(files, "solution"), _names(files, "test")
    examples, editor = _names(files, "example"), _names(files, "editor")
    if not solution or not tests or len(examples) != len(solution):
        raise ExerciseError("it needs solution, test and one example per solution file")
    for name in [*solution, *editor, *tests]:
        _copy(exercise, name, target / "boilerplate" / name)
    for name in tests:
        _copy(exercise, name, target / "grading" / name)
    for example, name in zip(examples, solution, strict=True):
        _copy(exercise, example, target / "oracle" / "files" / name)
    prompt = _read(exercise, ".docs/instructions.md")
    if (exercise / ".docs" / "instructions.append.md").exists():  # most have none
        prompt += "\n" + _read(exercise, ".docs/instructions.append.md")
    prompt += (f"\n\nWrite your solution in {', '.join(solution)}; the tests are in "
               f"{', '.join(tests)}.\n")
    slug = exercise.name
    spec: dict[str, Any] = {
        "name": f"{language}-{slug}",
        "description": str(config.get("blurb") or f"Exercism {language} exercise {slug}"),
        "version": "1.0",
        "tags": ["exercism", language],
        "boilerplate_path": "boilerplate",
        "timeout_seconds": timeout_seconds,
        "initial_prompt": prompt,
        "workflow_phases": [{"phase_name": "solve", "agent": "developer",
                             "prompt": "Solve the exercise; make its tests pass."}],
        "success_criteria": {"tests_must_pass": False, "grading_tests": "grading"},
        "oracle": "oracle",
    }
    path = target / f"bench_{slug.replace('-', '_')}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def _names(files: dict[str, Any], kind: str) -> list[str]:
    names = files.get(kind) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ExerciseError(f".meta/config.json: files.{kind} is not a list of names")
    return names


def _inside(folder: Path, name: str) -> Path:
    """``name`` below ``folder``, refusing absolute names, ``..`` and links."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ExerciseError(f"{name!r} is not a name inside the exercise")
    path = folder.joinpath(*relative.parts)
    current = folder
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise ExerciseError(f"{name} is a link")
    if not path.is_file():
        raise ExerciseError(f"{name} is missing or not a regular file")
    if path.stat().st_size > FILE_LIMIT:
        raise ExerciseError(f"{name} is over {FILE_LIMIT} bytes")
    return path


def _read(folder: Path, name: str) -> str:
    return _inside(folder, name).read_text(encoding="utf-8", errors="replace")


def _copy(folder: Path, name: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_inside(folder, name), target)
