"""docs/benchmarks.md keeps up with the schema: every key is there, its example is valid,
and every field of the JSON Schema has a description."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from benchmark_files import BenchmarkWriter
from pydantic import BaseModel

from pytest_gaobench.model.environments import ContainerEnvironment, PythonEnvironment
from pytest_gaobench.model.spec import (
    BenchmarkConfig,
    Budget,
    CommandCriterion,
    LintCommand,
    MetricCommand,
    NamedTests,
    SetupCommand,
    SuccessCriteria,
    WorkflowPhase,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MODELS: tuple[type[BaseModel], ...] = (BenchmarkConfig, WorkflowPhase, SuccessCriteria, Budget,
                                       CommandCriterion, LintCommand, MetricCommand,
                                       SetupCommand, NamedTests, PythonEnvironment,
                                       ContainerEnvironment)


def test_every_key_is_documented() -> None:
    text = DOC.read_text()
    missing = [f"{model.__name__}.{name}" for model in MODELS for name in model.model_fields
               if f"| `{name}` |" not in text]
    assert missing == []


def test_the_documented_example_is_a_valid_benchmark() -> None:
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert example
    config = BenchmarkConfig.model_validate(yaml.safe_load(example.group(1)))
    assert config.name == "todo-cli" and len(config.workflow_phases) == 2


def test_every_schema_field_has_a_description() -> None:
    schema = BenchmarkConfig.model_json_schema()
    parts = [("BenchmarkConfig", schema), *schema["$defs"].items()]
    bare = [f"{name}.{key}" for name, part in parts
            for key, field in part.get("properties", {}).items() if not field.get("description")]
    assert bare == []


def test_a_yaml_file_named_on_the_command_line_runs_whatever_its_name(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("calc", file_name="my_task.yaml")
    in_folder = pytester.runpytest("--collect-only", "-q", "--ignore=boilerplates",
                                   "--ignore=oracles", "-p", "no:cacheprovider")
    assert "my_task.yaml" not in in_folder.stdout.str()  # a folder: only bench_*.yaml
    named = pytester.runpytest("my_task.yaml", "-p", "no:cacheprovider")
    named.assert_outcomes(passed=1)


def test_every_link_of_the_readme_and_docs_leads_somewhere() -> None:
    """The README is the user's way in and docs/ the reference: a relative link goes to a
    file of the repository (and a heading of it, where it names one)."""
    root = Path(__file__).resolve().parents[1]
    broken = []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            if "DESIGN" in file or not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    found = set()
    for heading in re.findall(r"(?m)^#+ (.+)$", page.read_text()):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found
