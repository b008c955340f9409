"""The benchmark spec: the typed schema of a benchmark file (the GAO-Dev schema), and the
issues a file can have.

Pure data: reading a file, mapping issues to lines and the checks that look at the disk
are ``specfile``'s; the rules that span fields are ``spec_rules``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, field_validator

from .environments import ContainerEnvironment, PythonEnvironment
from .strict import Strict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
TAG_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"


_Strict = Strict


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
    verifier: str | None = None
    """A folder beside the benchmark with ``test.sh`` (Harbor's ``tests/``), for a container
    environment: copied to ``/tests`` of a fresh container after the agent stopped and run
    there; it passes with a reward of 1 in ``/logs/verifier/reward.txt`` (or
    ``reward.json``), else with exit code 0 when it writes no reward."""
    verifier_timeout_seconds: float = Field(default=600, gt=0)
    """The verifier's limit; past it the criterion fails."""


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
    environment: PythonEnvironment | ContainerEnvironment | None = None
    """The project's own Python and packages, or a container (default: the harness's
    interpreter, with the modules it provides guarded from the workspace)."""
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
    api_tools: list[typing.Literal["web_search"]] = Field(default_factory=list)
    """Hosted tools the provider may run for the agent, billed through the metering proxy
    (each only with a bound the proxy can reserve: ``max_uses`` for Anthropic's web search,
    ``max_tool_calls`` for OpenAI's); any other hosted tool is refused."""
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

    def loaded_from(self, path: Path) -> BenchmarkConfig:
        """This spec, as read from ``path`` (resolved): the folders it names are relative
        to it."""
        self._source_path = path
        return self

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
    def container(self) -> ContainerEnvironment | None:
        return self.environment if isinstance(self.environment, ContainerEnvironment) else None

    @property
    def python_environment(self) -> PythonEnvironment | None:
        return self.environment if isinstance(self.environment, PythonEnvironment) else None

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
"""Where a value is in the file: keys and list indices."""
