"""The rules of a benchmark that span fields, checked once its types are right: one
boilerplate source, known roles, unique phase and setup names, paths that stay inside the
sandbox, criteria that need one another. Pure: what looks at the disk is
``specfile.paths``."""

from __future__ import annotations

import difflib
from pathlib import Path

from .spec import ROLE_NAMES, BenchmarkConfig, Loc, role_key


def semantic_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    if bool(config.boilerplate_path) == bool(config.boilerplate_url) and not (
            config.container is not None and not config.boilerplate_path):
        which = "both are" if config.boilerplate_path else "neither is"
        found.append(((), f"give exactly one of boilerplate_path or boilerplate_url ({which} set)"))
    if config.boilerplate_ref and not config.boilerplate_url:
        found.append((("boilerplate_ref",), "boilerplate_ref needs boilerplate_url"))
    found += _phase_issues(config)
    criteria = config.success_criteria
    lint = criteria.lint
    if lint is not None and (lint.tool is None) == (lint.run is None):
        found.append((("success_criteria", "lint"),
                      "give exactly one of tool (e.g. tool: ruff) or run (your own command)"))
    if lint is not None and lint.config and lint.tool is None:
        found.append((("success_criteria", "lint", "config"), "config needs tool"))
    if criteria.coverage_from == "grading_tests" and criteria.grading_tests is None:
        found.append((("success_criteria", "coverage_from"),
                      "coverage_from: grading_tests needs grading_tests"))
    if criteria.grading_mode == "out_of_process" and criteria.grading_tests is None:
        found.append((("success_criteria", "grading_mode"),
                      "grading_mode: out_of_process needs grading_tests"))
    if criteria.grading_mode == "out_of_process" and criteria.coverage_from == "grading_tests":
        found.append((("success_criteria", "coverage_from"),
                      "hidden tests that run the solution out of process measure no "
                      "coverage: use coverage_from: own_tests"))
    found += _named_test_issues(config)
    found += _container_issues(config)
    if config.python_environment is not None and criteria.grading_mode == "out_of_process":
        found.append((("success_criteria", "grading_mode"),
                      "out_of_process grading runs the solution in the harness's own "
                      "interpreter, not the benchmark's environment: use in_process or "
                      "named_tests with environment"))
    seen_setup: set[str] = set()
    for index, command in enumerate(config.setup):
        if command.name in seen_setup:
            found.append((("setup", index, "name"), f"duplicate setup name {command.name!r}"))
        seen_setup.add(command.name)
    for key in ("required_features", "python_path"):
        for n, pattern in enumerate(getattr(config.success_criteria, key)):
            problem = glob_problem(pattern)
            if problem:
                found.append((("success_criteria", key, n), problem))
    return found


def _container_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    """A container runs its own commands: the criteria that run the harness's Python in the
    workspace are not for it (yet), and a verifier needs one."""
    found: list[tuple[Loc, str]] = []
    criteria, container = config.success_criteria, config.container
    if criteria.verifier is not None and container is None:
        found.append((("success_criteria", "verifier"),
                      "verifier needs a container environment (environment: {image: ...} "
                      "or {dockerfile: ...})"))
    if container is None:
        return found
    if (container.image is None) == (container.dockerfile is None):
        found.append((("environment",), "give exactly one of image or dockerfile"))
    if container.context is not None and container.dockerfile is None:
        found.append((("environment", "context"), "context needs dockerfile"))
    harness_python = {
        "tests_must_pass": criteria.tests_must_pass and not criteria.test_command,
        "min_test_coverage": criteria.min_test_coverage is not None,
        "grading_tests": criteria.grading_tests is not None,
        "named_tests": criteria.named_tests is not None,
        "lint": criteria.lint is not None and criteria.lint.tool is not None}
    for key, used in harness_python.items():
        if used:
            found.append((("success_criteria", key),
                          f"{key} runs the harness's Python in the workspace, which a "
                          f"container environment does not have: use verifier (a test.sh), "
                          f"or test_command and commands, which run in the container"))
    return found


def _phase_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    declared = {role_key(name) for name in config.roles}
    for index, phase in enumerate(config.workflow_phases):
        key = role_key(phase.agent)
        if key not in ROLE_NAMES and key not in declared:
            known = [*ROLE_NAMES, *sorted(declared)]
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            found.append((("workflow_phases", index, "agent"),
                          f"unknown role {phase.agent!r}: {hint}known roles are "
                          f"{', '.join(known)}; declare your own under `roles:`"))
        if phase.phase_name in seen:
            found.append((("workflow_phases", index, "phase_name"),
                          f"duplicate phase name {phase.phase_name!r} "
                          f"(also phase {seen[phase.phase_name] + 1})"))
        seen.setdefault(phase.phase_name, index)
        for n, pattern in enumerate(phase.expected_artifacts):
            problem = glob_problem(pattern)
            if problem:
                found.append((("workflow_phases", index, "expected_artifacts", n), problem))
    return found


def _named_test_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    criteria = config.success_criteria
    found: list[tuple[Loc, str]] = []
    if criteria.grading_patch is not None and criteria.named_tests is None:
        found.append((("success_criteria", "grading_patch"),
                      "grading_patch needs named_tests: the tests it adds must be named"))
    named = criteria.named_tests
    if named is not None:
        if not named.must_pass and not named.must_still_pass:
            found.append((("success_criteria", "named_tests"),
                          "name at least one test in must_pass or must_still_pass"))
        for key, ids in named.lists():
            for n, node_id in enumerate(ids):
                problem = glob_problem(node_id.split("::")[0]) if node_id.strip() else \
                    "an empty test id"
                if problem:
                    found.append((("success_criteria", "named_tests", key, n),
                                  f"test id {node_id!r}: {problem}"))
    return found


def glob_problem(pattern: str) -> str | None:
    """What is wrong with a path or pattern meant inside the sandbox, if anything."""
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return f"{pattern!r} must be a path inside the sandbox (no absolute paths, no '..')"
    return None
