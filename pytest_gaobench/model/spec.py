"""Benchmark YAML -> typed, validated spec (the GAO-Dev schema).

Every problem is reported before anything starts, as ``file:line: field: message``,
with the nearest known key suggested for typos, so a user can fix a file without
reading the plugin's source.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from .yaml_source import ParsedYaml, parse_yaml, resolved_below

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
TAG_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"


class _Strict(BaseModel):
    # Each field's docstring is its description in the JSON Schema (`gao-dev schema spec`).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=True)


class Budget(_Strict):
    """Limits that stop an API agent cleanly; exceeding one fails with failure_kind agent."""

    max_cost_usd: float | None = Field(default=None, ge=0)
    """Most a run may spend, in USD (needs a known price for the model)."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Most tokens a run may use (input, output and cache, summed)."""
    max_turns: int | None = Field(default=None, gt=0)
    """Most model turns a run may take."""


ROLE_NAMES = ("product_manager", "analyst", "architect", "developer", "tester", "reviewer")
"""The roles with a shipped prompt; a benchmark may declare others under ``roles:``."""


def role_key(role: str) -> str:
    """'Product Manager', 'product-manager' and 'product_manager' are one role."""
    return role.strip().lower().replace(" ", "_").replace("-", "_")


class WorkflowPhase(_Strict):
    """One step of the work, done by the agent in the role it names."""

    phase_name: str = Field(pattern=NAME_PATTERN)
    """The phase's name, unique in the benchmark (letters, digits, - and _)."""
    agent: str = "developer"
    """A role: selects the role prompt, not the driver (product_manager, analyst,
    architect, developer, tester, reviewer, or one declared under `roles:`)."""
    prompt: str = ""
    """What this phase asks for, after the benchmark's `initial_prompt`."""
    timeout_seconds: float | None = Field(default=None, gt=0)
    """This phase's own limit (default: the benchmark's `timeout_seconds`)."""
    continue_on_failure: bool = False
    """Go on to the next phase when this one fails or times out (a warning is recorded)."""
    expected_artifacts: list[str] = Field(default_factory=list)
    """Globs, relative to the sandbox, that must match at least one file after the phase."""


class CommandCriterion(_Strict):
    """A command run at grading time in the workspace; exit code 0 passes."""

    name: str = Field(min_length=1)
    """The criterion's name in results (as command:<name>)."""
    run: str = Field(min_length=1)
    """The shell command."""
    timeout_seconds: float = Field(default=300, gt=0)
    """Its limit; past it the criterion fails."""


class MetricCommand(_Strict):
    """A command that prints a JSON object of numbers: the benchmark's own metrics."""

    name: str = Field(pattern=NAME_PATTERN)
    """The metric group's name: its numbers are reported as custom.<name>.<key>."""
    run: str = Field(min_length=1)
    """The shell command, run in the workspace at grading time."""
    timeout_seconds: float = Field(default=120, gt=0)
    """Its limit; past it the metrics are missing and a warning is recorded."""


class LintCommand(_Strict):
    """A linter run at grading time: ``tool: ruff`` (the harness runs ruff with its own
    configuration: nothing of the workspace's, no ``noqa``), or your own ``run`` command,
    whose output counts the errors: a JSON list (one item per error, as ruff, eslint and
    pylint print with their JSON formats), a JSON object with an integer "errors", or else
    one error per non-empty line. An exit code other than 0 or 1, or a failing exit with
    nothing counted, is "lint not measured" (``max_lint_errors`` then fails)."""

    tool: typing.Literal["ruff"] | None = None
    """A linter the harness runs itself, with the benchmark's configuration only."""
    config: str | None = None
    """With ``tool``: a configuration file beside the benchmark (ruff.toml or
    pyproject.toml); default: the tool's defaults."""
    run: str | None = Field(default=None, min_length=1)
    """Your linter's command line, run in the workspace (it reads the workspace's own
    configuration files: prefer ``tool`` where there is one)."""
    timeout_seconds: float = Field(default=300, gt=0)
    """Its limit; past it the lint criterion fails."""


class SetupCommand(_Strict):
    """A command the harness runs in the workspace after the boilerplate is in place and
    before the agent starts (installing the project's dependencies, building it). A failing
    one ends the run as an infrastructure failure, never the agent's; its time is not the
    agent's (``timeout_seconds`` starts after it)."""

    name: str = Field(pattern=NAME_PATTERN)
    """The step's name in the run's events and errors."""
    run: str = Field(min_length=1)
    """The shell command, run in the sandbox with the agent's privileges."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Its limit; past it the run fails (infra)."""
    network: bool = False
    """Whether this command may reach the network (under bubblewrap), to download
    dependencies; the agent's phases have it only with ``allow_network``."""


class NamedTests(_Strict):
    """Tests named by pytest node id (``tests/test_x.py::TestY::test_z[1]``), run at
    grading from the workspace with the boilerplate's pytest configuration. The files that
    hold them, the files ``grading_patch`` touches and every ``conftest.py`` are first put
    back as the boilerplate had them (patched), so the agent's edits of them count for
    nothing."""

    must_pass: list[str] = Field(default_factory=list)
    """Tests the change must make pass (SWE-bench's FAIL_TO_PASS)."""
    must_still_pass: list[str] = Field(default_factory=list)
    """Tests that passed before the change and must still pass (PASS_TO_PASS)."""

    def lists(self) -> list[tuple[str, list[str]]]:
        """Each list by its key: one criterion each (named_tests:<key>)."""
        return [("must_pass", self.must_pass), ("must_still_pass", self.must_still_pass)]

    @property
    def ids(self) -> list[str]:
        """Every named test once, in order."""
        return list(dict.fromkeys((*self.must_pass, *self.must_still_pass)))


class SuccessCriteria(_Strict):
    """What must hold at the end for the run to be COMPLETED; each is its own criterion."""

    tests_must_pass: bool = False
    """The project's own tests (the agent's and the boilerplate's) must pass."""
    test_command: str | None = None
    """Replaces ``python -m pytest`` for ``tests_must_pass``; exit code 0 = pass."""
    test_timeout_seconds: float = Field(default=600, gt=0)
    """Limit of the test run at grading time."""
    min_test_coverage: float | None = Field(default=None, ge=0, le=100)
    """Percent of the project's (non-test) lines covered by its tests, measured at grading
    with the harness's coverage configuration (no exclusion pragmas)."""
    coverage_from: typing.Literal["own_tests", "grading_tests"] = "own_tests"
    """Whose run measures ``min_test_coverage``: the workspace's own tests (the agent's,
    whose conftest can touch the number) or the hidden ``grading_tests``."""
    max_errors: int | None = Field(default=None, ge=0)
    """Most errors the run may record (tool errors, failed phases going on)."""
    max_manual_interventions: int | None = Field(default=None, ge=0)
    """Most times the agent may ask for help (ask_user, a turn ending in a question)."""
    required_features: list[str] = Field(default_factory=list)
    """Globs, relative to the sandbox, that must each match at least one file."""
    grading_tests: str | None = None
    """A folder of tests beside the benchmark file that the agent never sees: run at
    grading from a fresh copy outside the workspace, with the project importable."""
    grading_mode: typing.Literal["in_process", "out_of_process"] = "in_process"
    """How ``grading_tests`` reach the solution: by importing it into the grader (its
    code then runs beside pytest and could forge the verdict), or ``out_of_process``:
    through the ``solution`` fixture, the solution running in a sandbox of its own."""
    grading_patch: str | None = None
    """A patch file beside the benchmark (as ``git diff`` writes it) that the agent never
    sees: at grading it is applied to the boilerplate's version of the files it touches,
    which then replace the workspace's (SWE-bench's test_patch). Needs ``named_tests``."""
    named_tests: NamedTests | None = None
    """Tests named by node id that must pass at grading (see ``named_tests.must_pass``)."""
    python_path: list[str] = Field(default_factory=list)
    """Folders of the workspace put on the test runs' ``sys.path`` after the project (with
    their .pth files): where a ``setup`` command installed the dependencies
    (``pip install --target deps -r requirements.txt``)."""
    lint: LintCommand | None = None
    """A linter whose errors are counted (see `max_lint_errors`)."""
    max_lint_errors: int | None = Field(default=None, ge=0)
    """Most lint errors allowed (needs `lint`)."""
    commands: list[CommandCriterion] = Field(default_factory=list)
    """Further checks: each command must exit 0."""


class BenchmarkConfig(_Strict):
    """One benchmark file, validated. Paths in it are relative to the file's folder."""

    name: str = Field(pattern=NAME_PATTERN)
    """The benchmark's name: its test id, its results' key (letters, digits, - and _)."""
    description: str = ""
    """One or two sentences for people reading results."""
    version: str = "1.0"
    """The benchmark's version; change it when the task changes, so runs compare fairly."""
    tags: list[typing.Annotated[str, Field(pattern=TAG_PATTERN)]] = Field(default_factory=list)
    """Labels; each is a pytest marker (`pytest -m smoke`)."""
    project_name: str | None = None
    """The project's name in prompts (default: `name`)."""
    boilerplate_path: str | None = None
    """A folder beside the benchmark file copied into the workspace at the start (give
    this or `boilerplate_url`)."""
    boilerplate_url: str | None = None
    """A git repository cloned into the workspace at the start (give this or
    `boilerplate_path`); clones go through a local mirror."""
    boilerplate_ref: str | None = None
    """The branch, tag or commit of `boilerplate_url` (default: its default branch)."""
    timeout_seconds: float = Field(default=1800, gt=0)
    """The run's wall-time limit; past it the run ends as TIMEOUT."""
    budget: Budget = Field(default_factory=Budget)
    """Limits of API agents (the stricter of these and the command line's applies)."""
    model: str | None = None
    """The model API agents use (--gaobench-model overrides it)."""
    initial_prompt: str = ""
    """The task, given to the agent at the start of every phase."""
    setup: list[SetupCommand] = Field(default_factory=list)
    """Commands the harness runs in the workspace before the agent starts, in order."""
    workflow_phases: list[WorkflowPhase] = Field(min_length=1)
    """The phases, in order (at least one)."""
    success_criteria: SuccessCriteria = Field(default_factory=SuccessCriteria)
    """How the run is graded."""
    oracle: str | None = None
    """A folder beside the benchmark file with the reference solution (the oracle agent,
    `gao-dev check`): <phase>/ and <phase>.sh, or files/ and solve.sh."""
    metrics: list[MetricCommand] = Field(default_factory=list)
    """Extra metrics, measured at grading time; reported as custom.<name>.<key>."""
    repeats: int = Field(default=1, ge=1)
    """Run the benchmark this many times (items name[1], name[2], ...): pass@k."""
    allow_network: bool = False
    """Whether sandbox commands may reach the network (when they run under bubblewrap)."""
    agent_command: str | None = None
    """The command agent's command template for this benchmark (--gaobench-agent command);
    --gaobench-agent-command overrides it, the ini key gaobench_agent_command is the
    default."""
    roles: dict[str, str] = Field(default_factory=dict)
    """The benchmark's own roles: name -> the system prompt of a phase with that role."""
    continue_session: bool = False
    """CLI agents that keep sessions (claude-code): continue one session across the phases
    instead of starting each phase afresh."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Anything else you want kept with the benchmark and its results."""

    _source_path: Path | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # `version: 1.0` is a float in YAML; users mean the text.
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return str(value) if is_number else value

    @classmethod
    def from_yaml(cls, path: str | Path) -> BenchmarkConfig:
        """Load and validate a benchmark file; raises SpecError naming file, line and field."""
        return load_spec(Path(path))

    @property
    def source_path(self) -> Path:
        if self._source_path is None:
            raise ValueError(f"benchmark {self.name!r} was not loaded from a file")
        return self._source_path

    @property
    def base_dir(self) -> Path:
        return self.source_path.parent

    @property
    def boilerplate_dir(self) -> Path | None:
        return self.base_dir / self.boilerplate_path if self.boilerplate_path else None

    @property
    def oracle_dir(self) -> Path | None:
        return self.base_dir / self.oracle if self.oracle else None

    @property
    def grading_tests_dir(self) -> Path | None:
        hidden = self.success_criteria.grading_tests
        return self.base_dir / hidden if hidden else None

    @property
    def grading_patch_file(self) -> Path | None:
        patch = self.success_criteria.grading_patch
        return self.base_dir / patch if patch else None

    @property
    def project(self) -> str:
        return self.project_name or self.name

    def phase_timeout(self, phase: WorkflowPhase) -> float:
        return phase.timeout_seconds if phase.timeout_seconds is not None else self.timeout_seconds


@dataclass(frozen=True)
class SpecIssue:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {field}{self.message}"


class SpecError(ValueError):
    """A benchmark file that cannot run; carries every issue found, each with file and line."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))

    @property
    def file(self) -> Path:
        return self.issues[0].file

    @property
    def line(self) -> int | None:
        return self.issues[0].line


Loc = tuple[int | str, ...]


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
                   _line(root, ()))
    issues = _duplicate_keys(path, root)
    if not issues:
        try:
            config = model.model_validate(data)
        except ValidationError as exc:
            issues = [_issue_from_error(path, root, model, err) for err in exc.errors()]
        else:
            config._source_path = path.resolve()
            issues = [SpecIssue(path, _line(root, loc), _dotted(loc), message)
                      for loc, message in _semantic_issues(config)]
    if issues:
        raise SpecError(sorted(issues, key=lambda issue: issue.line or 0))
    return config


def line_of(path: Path, *loc: int | str) -> int | None:
    """The line of the value at ``loc`` in a YAML file that has already loaded once."""
    return _line(parse_yaml(path.read_text(encoding="utf-8")).root, loc)


def _semantic_issues(config: BenchmarkConfig) -> list[tuple[Loc, str]]:
    """Rules that span fields or touch the file system, checked after the types are right."""
    found: list[tuple[Loc, str]] = []
    if bool(config.boilerplate_path) == bool(config.boilerplate_url):
        which = "both are" if config.boilerplate_path else "neither is"
        found.append(((), f"give exactly one of boilerplate_path or boilerplate_url ({which} set)"))
    if config.boilerplate_ref and not config.boilerplate_url:
        found.append((("boilerplate_ref",), "boilerplate_ref needs boilerplate_url"))
    folders: list[tuple[Loc, str | None]] = [
        (("boilerplate_path",), config.boilerplate_path), (("oracle",), config.oracle),
        (("success_criteria", "grading_tests"), config.success_criteria.grading_tests)]
    base = config.base_dir  # resolved: load_spec resolves the source path
    for loc, value in folders:
        if value:
            problem = _folder_problem(base, value)
            if problem:
                found.append((loc, problem))
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
            problem = _glob_problem(pattern)
            if problem:
                found.append((("workflow_phases", index, "expected_artifacts", n), problem))
    criteria = config.success_criteria
    lint = criteria.lint
    if lint is not None and (lint.tool is None) == (lint.run is None):
        found.append((("success_criteria", "lint"),
                      "give exactly one of tool (e.g. tool: ruff) or run (your own command)"))
    if lint is not None and lint.config and lint.tool is None:
        found.append((("success_criteria", "lint", "config"), "config needs tool"))
    if lint is not None and lint.config:
        problem = _folder_problem(base, lint.config, folder=False)
        if problem:
            found.append((("success_criteria", "lint", "config"), problem))
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
    found += _named_test_issues(config, base)
    seen_setup: set[str] = set()
    for index, command in enumerate(config.setup):
        if command.name in seen_setup:
            found.append((("setup", index, "name"), f"duplicate setup name {command.name!r}"))
        seen_setup.add(command.name)
    for key in ("required_features", "python_path"):
        for n, pattern in enumerate(getattr(config.success_criteria, key)):
            problem = _glob_problem(pattern)
            if problem:
                found.append((("success_criteria", key, n), problem))
    return found


def _named_test_issues(config: BenchmarkConfig, base: Path) -> list[tuple[Loc, str]]:
    criteria = config.success_criteria
    found: list[tuple[Loc, str]] = []
    if criteria.grading_patch is not None:
        problem = _folder_problem(base, criteria.grading_patch, folder=False)
        if problem:
            found.append((("success_criteria", "grading_patch"), problem))
        if criteria.named_tests is None:
            found.append((("success_criteria", "grading_patch"),
                          "grading_patch needs named_tests: the tests it adds must be named"))
    named = criteria.named_tests
    if named is not None:
        if not named.must_pass and not named.must_still_pass:
            found.append((("success_criteria", "named_tests"),
                          "name at least one test in must_pass or must_still_pass"))
        for key, ids in named.lists():
            for n, node_id in enumerate(ids):
                problem = _glob_problem(node_id.split("::")[0]) if node_id.strip() else \
                    "an empty test id"
                if problem:
                    found.append((("success_criteria", "named_tests", key, n),
                                  f"test id {node_id!r}: {problem}"))
    return found


def _folder_problem(base: Path, relative: str, *, folder: bool = True) -> str | None:
    """What is wrong with the folder (or, with ``folder=False``, the file) ``relative`` to
    ``base`` (already resolved), if anything."""
    target = resolved_below(base, relative)
    if not target.is_relative_to(base):
        return f"{relative!r} points outside the benchmark's folder {base}"
    if not target.exists():
        return f"{relative!r} does not exist (looked for {target})"
    if folder and not target.is_dir():
        return f"{relative!r} is not a folder"
    if not folder and not target.is_file():
        return f"{relative!r} is not a file (looked for {target})"
    return None


def _glob_problem(pattern: str) -> str | None:
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return f"{pattern!r} must be a path inside the sandbox (no absolute paths, no '..')"
    return None


def _issue_from_error(path: Path, root: yaml.Node | None, model: type[BaseModel],
                      err: Any) -> SpecIssue:
    loc: Loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        known = list(_model_at(model, loc[:-1]).model_fields)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
        return SpecIssue(path, _line(root, loc, key_line=True), _dotted(loc[:-1]),
                         f"unknown key {key!r}{hint}")
    if err["type"] == "missing":
        return SpecIssue(path, _line(root, loc[:-1]), _dotted(loc), "required key is missing")
    return SpecIssue(path, _line(root, loc), _dotted(loc),
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


def _line(node: yaml.Node | None, loc: Loc, key_line: bool = False) -> int | None:
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


def _duplicate_keys(path: Path, node: yaml.Node | None) -> list[SpecIssue]:
    """PyYAML keeps the last of two equal keys silently; a benchmark should not."""
    issues: list[SpecIssue] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                issues.append(SpecIssue(path, key_node.start_mark.line + 1, str(key_node.value),
                                        "duplicate key"))
            seen.add(key_node.value)
            issues.extend(_duplicate_keys(path, value_node))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            issues.extend(_duplicate_keys(path, item))
    return issues


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
