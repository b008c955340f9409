"""One parse of a benchmark file: its node tree (line numbers, duplicate keys) and its data,
and where the folders it names are.

Its own module, importing only PyYAML, so the plugin's folder scan (which runs in any
pytest session that has benchmark files near its tests) parses without loading pydantic,
and hands the parse on to validation: each file is read and parsed once per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader where PyYAML was built with it (the wheels are): several times faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ParsedYaml:
    root: yaml.Node | None
    data: Any


def parse_yaml(text: str) -> ParsedYaml:
    """The document's node tree and its data, from one parse. A file that does not parse
    is parsed again by the pure-Python loader, so its error message is the same wherever
    libyaml is or is not installed."""
    try:
        return _parse(text, _LOADER)
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
        return _parse(text, yaml.SafeLoader)


def parse_file(path: Path) -> ParsedYaml | None:
    """The file's parse, or None when it cannot be read or parsed (validation then reads
    it again and says why)."""
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def resolved_below(base: Path, relative: str) -> Path:
    """``base / relative`` with links resolved, for a ``base`` that already is: only the
    components of ``relative`` are looked at, where resolving the whole path would stat
    every folder above it too (collection does this for each folder a benchmark names)."""
    target = base
    for part in Path(relative).parts:
        target = target / part
        if part == ".." or target.is_symlink():
            return (base / relative).resolve()
    return target


def _parse(text: str, loader_class: type[yaml.SafeLoader]) -> ParsedYaml:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return ParsedYaml(root, loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()
