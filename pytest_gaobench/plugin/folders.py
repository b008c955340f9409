"""What collection skips: the gaobench folder, and the folders a benchmark uses.

A boilerplate's own tests fail by design until the agent has worked, so collecting them
would report failures that are not failures: a folder (boilerplate, oracle, hidden
grading tests, a container's verifier and build context) is skipped when a benchmark file
in one of its ancestor folders names it.
Finding those names parses the benchmark files; the parses are kept for collection to
validate, so each file is read and parsed once per session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .settings import GaobenchSettings

if TYPE_CHECKING:
    from ..specfile.yaml_source import ParsedYaml

FOLDER_KEYS = (("boilerplate_path",), ("oracle",), ("success_criteria", "grading_tests"),
               ("success_criteria", "verifier"), ("environment", "context"))
FILE_KEYS = (("environment", "dockerfile"),)
"""Files whose folder a benchmark uses (a Dockerfile's: its default build context)."""


class BenchmarkFolders:
    def __init__(self, top: Path, gaobench_dir: Path,
                 is_benchmark_file: Callable[[Path], bool]) -> None:
        self._top = top.resolve()
        self._gaobench_dir = gaobench_dir.resolve()
        self._is_benchmark_file = is_benchmark_file
        self._used_in: dict[Path, frozenset[Path]] = {}
        self._parsed: dict[Path, ParsedYaml] = {}

    def ignored(self, path: Path) -> bool:
        """Whether collection skips ``path``: inside the gaobench folder, or used by a
        benchmark."""
        target = path.resolve()
        if target.is_relative_to(self._gaobench_dir) or self._used_by_benchmark(target):
            return True
        if target != path and target in self._parsed:  # a path through a link: keep its parse
            self._parsed[path] = self._parsed.pop(target)
        return False

    def take_parse(self, benchmark_file: Path) -> ParsedYaml | None:
        """The file's parse from the folder scan, handed over once (None if it had none)."""
        return self._parsed.pop(benchmark_file, None)  # as collected: resolving costs more

    def _used_by_benchmark(self, target: Path) -> bool:
        for folder in target.parents:
            if not folder.is_relative_to(self._top):
                break
            for used in self._folders_named_in(folder):
                if target == used or target.is_relative_to(used):
                    return True
        return False

    def _folders_named_in(self, folder: Path) -> frozenset[Path]:
        """Folders named by the benchmark files directly in ``folder`` (read once each)."""
        if folder not in self._used_in:
            used: set[Path] = set()
            try:
                candidates = [p for p in folder.iterdir() if self._is_benchmark_file(p)]
            except OSError:
                candidates = []
            if candidates:  # PyYAML only once a benchmark file is seen: this runs everywhere
                from ..specfile.yaml_source import parse_file
            for candidate in candidates:
                parsed = parse_file(candidate)
                if parsed is not None:
                    self._parsed[candidate] = parsed
                    used.update(_named_folders(candidate, parsed))
            self._used_in[folder] = frozenset(used)
        return self._used_in[folder]


_KEY = pytest.StashKey["BenchmarkFolders"]()


def folders_of(config: pytest.Config) -> BenchmarkFolders:
    """The session's folder scan, made on first use."""
    if _KEY not in config.stash:
        settings = GaobenchSettings.of(config)
        config.stash[_KEY] = BenchmarkFolders(config.rootpath, settings.dir,
                                              settings.is_benchmark_file)
    return config.stash[_KEY]


def _named_folders(benchmark_file: Path, parsed: ParsedYaml) -> set[Path]:
    """The folders the file names, resolved (its own folder already is)."""
    from ..specfile.yaml_source import resolved_below

    if not isinstance(parsed.data, dict):
        return set()
    named = set()
    for keys in (*FOLDER_KEYS, *FILE_KEYS):
        value: object = parsed.data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            path = resolved_below(benchmark_file.parent, value)
            named.add(path.parent if keys in FILE_KEYS else path)
    return named
