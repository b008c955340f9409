"""Folders a benchmark uses (boilerplate, oracle, hidden grading tests) are never collected.

A boilerplate's own tests fail by design until the agent has worked, so collecting them
would report failures that are not failures. A folder is skipped when a benchmark file
in one of its ancestor folders names it (or one of its ancestors).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

FOLDER_KEYS = (("boilerplate_path",), ("oracle",), ("success_criteria", "grading_tests"))


class BenchmarkFolders:
    def __init__(self, top: Path, is_benchmark_file: Callable[[Path], bool]) -> None:
        self._top = top.resolve()
        self._is_benchmark_file = is_benchmark_file
        self._used_in: dict[Path, frozenset[Path]] = {}

    def is_used_by_benchmark(self, path: Path) -> bool:
        target = path.resolve()
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
            for candidate in candidates:
                used.update(_named_folders(candidate))
            self._used_in[folder] = frozenset(used)
        return self._used_in[folder]


def _named_folders(benchmark_file: Path) -> set[Path]:
    import yaml  # only once a benchmark file is seen: the plugin is loaded in every run

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(benchmark_file.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    if not isinstance(data, dict):
        return set()
    named = set()
    for keys in FOLDER_KEYS:
        value: object = data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            named.add((benchmark_file.parent / value).resolve())
    return named
