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
    "metering": {"model", "logs"},
    "specfile": {"model"},
    "sandbox": {"model"},
    "grading": {"model", "sandbox", "containers"},
    "environment": {"model", "sandbox", "logs", "containers"},
    "containers": {"model", "sandbox", "logs"},
    "agents": {"model", "sandbox", "logs", "metering"},
    "run": {"model", "sandbox", "grading", "agents", "metering", "logs", "specfile",
            "environment"},
    "results": {"model"},
    "importers": {"sandbox", "model"},
    "cli": {"model", "specfile", "results", "run", "importers"},
    "plugin": {"model", "logs", "sandbox", "grading", "agents", "metering", "run", "results",
               "specfile"},
}
MAY_IMPORT_PYTEST = {"plugin", "cli"}
RUN_ELSEWHERE = {"grading/launcher/run_tests.py"}
"""Scripts the grader runs as processes of their own, never imported: the pytest they
import is the one of the interpreter that runs them (a benchmark's environment's, or the
harness's behind its guard), and they import nothing of the package."""
AGENT_PARTS: dict[str, set[str]] = {
    "builtin": {"model", "sandbox"},
    "toolloop": {"model", "sandbox", "metering"},
    "cli": {"model", "sandbox", "metering"},
}
"""What each part of ``agents/`` may import besides the agents core (``agents/*.py``):
never another of these parts, and only the core's registry (``agents/__init__``) imports
them, by name."""
METERING_INSIDE = {"proxy", "forwarding", "dialects", "call_bound"}
"""Metering's own workings: an agent reaches the proxy through ``metered_api`` only."""


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
                if part not in MAY_IMPORT_PYTEST and \
                        path.relative_to(PACKAGE).as_posix() not in RUN_ELSEWHERE:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
            elif names[0] == "pytest_gaobench" and len(names) > 1:
                target = names[1]
                if target != part and target in ALLOWED and target not in ALLOWED[part]:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
    assert not wrong, "\n".join(wrong)


def test_scripts_run_elsewhere_import_nothing_of_the_package() -> None:
    for relative in RUN_ELSEWHERE:
        modules = [module for _, module in imports_of(PACKAGE / relative)]
        assert modules and not [m for m in modules if m.startswith("pytest_gaobench")]


def test_no_private_pytest_imports_anywhere() -> None:
    private = [f"{path.relative_to(PACKAGE)}:{line}" for path in PACKAGE.rglob("*.py")
               for line, module in imports_of(path) if module.split(".")[0] == "_pytest"]
    assert not private


def agent_part_imports(part: str) -> list[str]:
    wrong = []
    for path in sorted((PACKAGE / "agents" / part).rglob("*.py")):
        for line, module in imports_of(path):
            names = module.split(".")
            if names[0] != "pytest_gaobench" or len(names) < 2:
                continue
            where = f"{path.relative_to(PACKAGE)}:{line}: imports {module}"
            if names[1] == "agents":
                inner = names[2] if len(names) > 2 else None
                if inner in AGENT_PARTS and inner != part:
                    wrong.append(where)
            elif names[1] not in AGENT_PARTS[part] or (
                    names[1] == "metering" and len(names) > 2 and names[2] in METERING_INSIDE):
                wrong.append(where)
    return wrong


@pytest.mark.parametrize("part", sorted(AGENT_PARTS))
def test_an_agents_part_imports_the_core_and_what_the_table_allows(part: str) -> None:
    assert (PACKAGE / "agents" / part / "__init__.py").is_file()
    wrong = agent_part_imports(part)
    assert not wrong, "\n".join(wrong)


def test_only_the_registry_of_the_agents_core_imports_its_parts() -> None:
    wrong = []
    for path in sorted((PACKAGE / "agents").glob("*.py")):
        for line, module in imports_of(path):
            names = module.split(".")
            into_a_part = names[:2] == ["pytest_gaobench", "agents"] and len(names) > 2 \
                and names[2] in AGENT_PARTS
            if into_a_part and path.name != "__init__.py":
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_layout_rules_catch_a_part_reaching_into_another() -> None:
    """The rule above is live: a cli module importing the tool loop, or the proxy's
    insides, would be named."""
    planted = PACKAGE / "agents" / "cli" / "zz_planted_for_layout_test.py"
    planted.write_text("from ..toolloop.tools import Toolbox\n"
                       "from ...metering.proxy import MeteringProxy\n")
    try:
        wrong = agent_part_imports("cli")
    finally:
        planted.unlink()
    assert [w.split(": ", 1)[1] for w in wrong if "zz_planted" in w] == [
        "imports pytest_gaobench.agents.toolloop.tools",
        "imports pytest_gaobench.metering.proxy"]


def test_no_module_is_longer_than_400_lines() -> None:
    long = [f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
            for root in (PACKAGE, PACKAGE.parent / "perf") for path in sorted(root.rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long, "\n".join(long)
