"""The package's parts and the arrows between them (docs/architecture.md), enforced.

Each part may import only the parts listed for it; only the pytest face and the CLI
import pytest. A new import that breaks the picture fails here, naming the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_gaobench

PACKAGE = Path(pytest_gaobench.__file__).parent
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "logs": set(),
    "sandbox": {"model"},
    "grading": {"model", "sandbox"},
    "agents": {"model", "sandbox", "logs"},
    "run": {"model", "sandbox", "grading", "agents", "logs"},
    "results": {"model"},
    "importers": {"sandbox"},
    "cli": {"model", "results", "run", "importers"},
    "plugin": {"model", "logs", "sandbox", "grading", "agents", "run", "results"},
}
MAY_IMPORT_PYTEST = {"plugin", "cli"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import, relative ones made absolute."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def parts() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir()
                  if p.is_dir() and (p / "__init__.py").is_file())


def test_every_part_is_in_the_picture_and_says_what_it_owns() -> None:
    assert set(parts()) == set(ALLOWED)
    for part in parts():
        doc = ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text()))
        assert doc and len(doc) > 80, f"{part}/__init__.py needs a docstring saying what it owns"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_a_part_imports_only_what_it_may(part: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        for line, module in imports_of(path):
            names = module.split(".")
            if names[0] == "pytest" or names[0] == "_pytest":
                if part not in MAY_IMPORT_PYTEST:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
            elif names[0] == "pytest_gaobench" and len(names) > 1:
                target = names[1]
                if target != part and target in ALLOWED and target not in ALLOWED[part]:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
    assert not wrong, "\n".join(wrong)


def test_no_private_pytest_imports_anywhere() -> None:
    private = [f"{path.relative_to(PACKAGE)}:{line}" for path in PACKAGE.rglob("*.py")
               for line, module in imports_of(path) if module.split(".")[0] == "_pytest"]
    assert not private
