"""Where in a benchmark file each issue is: the YAML node at a key path, its line, and the
issues of the schema's validation turned into ``file:line: field: message`` with the
nearest known key suggested for a typo."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from ..model.spec import Loc, SpecIssue
from .yaml_source import parse_yaml


def line_of(path: Path, *loc: int | str) -> int | None:
    """The line of the value at ``loc`` in a YAML file that has already loaded once."""
    return line_at(parse_yaml(path.read_text(encoding="utf-8")).root, loc)


def issue_from_error(path: Path, root: yaml.Node | None, model: type[BaseModel],
                      err: Any) -> SpecIssue:
    loc: Loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        known = list(_model_at(model, loc[:-1]).model_fields)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
        return SpecIssue(path, line_at(root, loc, key_line=True), dotted(loc[:-1]),
                         f"unknown key {key!r}{hint}")
    if err["type"] == "missing":
        return SpecIssue(path, line_at(root, loc[:-1]), dotted(loc), "required key is missing")
    return SpecIssue(path, line_at(root, loc), dotted(loc),
                     f"{err['msg']} (got {err['input']!r})")


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel]:
    """The model class that validates the mapping at ``loc`` (list indices skipped)."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            break
        nested = _nested_model(field.annotation)
        if nested is None:
            break
        current = nested
    return current


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def line_at(node: yaml.Node | None, loc: Loc, key_line: bool = False) -> int | None:
    """1-based line of the YAML node at ``loc``; the nearest existing parent otherwise."""
    if node is None:
        return None
    for depth, part in enumerate(loc):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    last = depth == len(loc) - 1
                    child = key_node if (key_line and last) else value_node
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            child = node.value[part]
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def duplicate_keys(path: Path, node: yaml.Node | None) -> list[SpecIssue]:
    """PyYAML keeps the last of two equal keys silently; a benchmark should not."""
    issues: list[SpecIssue] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                issues.append(SpecIssue(path, key_node.start_mark.line + 1, str(key_node.value),
                                        "duplicate key"))
            seen.add(key_node.value)
            issues.extend(duplicate_keys(path, value_node))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            issues.extend(duplicate_keys(path, item))
    return issues


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
