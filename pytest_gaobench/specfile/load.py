"""A benchmark file read into its validated spec, every issue found before anything starts,
each as ``file:line: field: message``, so a user can fix a file without reading the
plugin's source."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..model.spec import BenchmarkConfig, SpecError, SpecIssue
from ..model.spec_rules import semantic_issues
from .lines import dotted, duplicate_keys, issue_from_error, line_at
from .paths import path_issues
from .yaml_source import ParsedYaml, parse_yaml


def load_spec(path: Path, parsed: ParsedYaml | None = None) -> BenchmarkConfig:
    """The validated spec of ``path``; ``parsed`` is the file's parse when the caller
    already has it (collection's folder scan does), so the file is not parsed again."""
    model = BenchmarkConfig

    def fail(message: str, line: int | None = None, field: str = "") -> SpecError:
        return SpecError([SpecIssue(path, line, field, message)])

    if parsed is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise fail(f"cannot read: {exc.strerror}") from None
        try:
            parsed = parse_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise fail(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    root, data = parsed.root, parsed.data
    if data is None:
        raise fail("the file is empty; a benchmark is a mapping with at least "
                   "'name' and 'workflow_phases'")
    if not isinstance(data, dict):
        raise fail(f"a benchmark must be a mapping of keys, not a {type(data).__name__}",
                   line_at(root, ()))
    issues = duplicate_keys(path, root)
    if not issues:
        try:
            config = model.model_validate(data)
        except ValidationError as exc:
            issues = [issue_from_error(path, root, model, err) for err in exc.errors()]
        else:
            config.loaded_from(path.resolve())
            issues = [SpecIssue(path, line_at(root, loc), dotted(loc), message)
                      for loc, message in [*semantic_issues(config), *path_issues(config)]]
    if issues:
        raise SpecError(sorted(issues, key=lambda issue: issue.line or 0))
    return config
