"""SWE-bench-style instances (one JSON object per line) as benchmarks.

The public instance format: ``instance_id``, ``repo`` (owner/name), ``base_commit``,
``problem_statement``, ``test_patch``, ``FAIL_TO_PASS`` and ``PASS_TO_PASS`` (lists of test
ids, or those lists as JSON text, as the published datasets store them), and optionally
``patch``, the reference fix. Each becomes a benchmark: the repository cloned at the base
commit, the problem statement as the prompt, the test patch as a grading patch the agent
never sees, FAIL_TO_PASS as tests that must pass and PASS_TO_PASS as tests that must still
pass, and the fix as the oracle. Instances whose test ids are not pytest node ids (Django's
``test_x (app.tests.Case)``) need their repository's own runner and are skipped.

Each instance's Python environment comes from the record's own ``environment`` (the
benchmark file's ``environment:`` keys), else from a specs file that maps
``owner/name@version`` (the record's ``version``) or ``owner/name`` to the same keys, as
SWE-bench keeps its specs per repository and version.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import ValidationError

from ..model.environments import PythonEnvironment
from ..sandbox.boilerplate import resolve_url
from .writing import Imported, ImportRefused, benchmark_folder, benchmark_name

DEFAULT_REPO_URL = "https://github.com/{repo}.git"
REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "test_patch",
            "FAIL_TO_PASS", "PASS_TO_PASS")
KEPT = ("instance_id", "repo", "base_commit", "version", "environment_setup_commit",
        "created_at")
"""Instance fields kept in the benchmark's metadata."""
PROMPT_TAIL = ("\n\nThe repository is checked out in your working folder at the commit the "
               "issue was reported against. Change its code so that the issue is resolved; "
               "the tests that check it are not in the repository.\n")


class InstanceError(ValueError):
    """An instance (or the file of them) that cannot be imported, with the reason."""


@dataclass(frozen=True)
class ImportOptions:
    repo_url: str = DEFAULT_REPO_URL
    """Where each repository is cloned from: ``{repo}`` is its owner/name (a local mirror:
    ``/srv/mirrors/{repo}``)."""
    setup: tuple[str, ...] = ()
    """Setup commands of every benchmark (installing the project, say)."""
    setup_network: bool = False
    """Whether the setup commands may reach the network."""
    python_path: tuple[str, ...] = ()
    """Folders of the workspace the setup installs into, for the tests' sys.path."""
    timeout_seconds: int = 1800
    force: bool = False
    """Replace a benchmark folder that exists already (else it is skipped, saying so)."""
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``owner/name@version`` or ``owner/name`` -> the ``environment:`` of its benchmarks."""




def import_instances(source: Path, out: Path, options: ImportOptions) -> Imported:
    """Every instance of the JSON-lines file ``source`` as a benchmark folder under ``out``
    (an existing one is replaced only with ``options.force``; two instances that would be
    the same folder are refused, the second saying which)."""
    if "{repo}" not in options.repo_url:
        raise InstanceError(f"the repository URL template {options.repo_url!r} has no "
                            "{repo} in it")
    try:
        # Lines end at "\n" only: str.splitlines would also split inside a JSON string at
        # U+2028, U+2029 or U+0085, which a problem statement may hold.
        lines = source.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"cannot read {source}: {exc}") from None
    imported = Imported()
    seen: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            instance = json.loads(line)
            if not isinstance(instance, dict):
                raise InstanceError("not a JSON object")
            where = str(instance.get("instance_id") or where)
            name = benchmark_name(where)
            if name in seen:
                raise InstanceError(f"it would be benchmark {name!r}, as {seen[name]} is "
                                    f"(instance ids must be unique)")
            seen[name] = f"{where} (line {number})"
            imported.written.append(import_instance(instance, out, options))
        except (InstanceError, ImportRefused, ValueError) as exc:
            imported.skipped[where] = str(exc)
        except OSError as exc:
            imported.skipped[where] = f"{exc.filename or out}: {exc.strerror}"
    return imported


def import_instance(instance: dict[str, Any], out: Path, options: ImportOptions) -> Path:
    missing = [key for key in REQUIRED if key not in instance]
    if missing:
        raise InstanceError(f"missing {', '.join(missing)}")
    text = {key: instance[key] for key in ("instance_id", "repo", "base_commit",
                                           "problem_statement", "test_patch")}
    if not all(isinstance(value, str) and value for value in text.values()):
        raise InstanceError("instance_id, repo, base_commit, problem_statement and "
                            "test_patch must be non-empty text")
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", text["base_commit"]):
        raise InstanceError(f"base_commit {text['base_commit']!r} is not a commit id")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text["repo"]):
        raise InstanceError(f"repo {text['repo']!r} is not owner/name")
    must_pass = node_ids(instance["FAIL_TO_PASS"], "FAIL_TO_PASS")
    must_still_pass = node_ids(instance["PASS_TO_PASS"], "PASS_TO_PASS")
    if not must_pass:
        raise InstanceError("FAIL_TO_PASS names no test")
    name = benchmark_name(text["instance_id"])
    with benchmark_folder(out / name, force=options.force) as target:
        path = _write_instance(instance, text, must_pass, must_still_pass, target, options)
    return out / name / path.name


def _write_instance(instance: dict[str, Any], text: dict[str, str], must_pass: list[str],
                    must_still_pass: list[str], target: Path, options: ImportOptions
                    ) -> Path:
    name = benchmark_name(text["instance_id"])
    (target / "grading").mkdir(parents=True)
    (target / "grading" / "test.patch").write_text(_ending_in_newline(text["test_patch"]),
                                                   encoding="utf-8")
    given = instance.get("patch")
    fix = given if isinstance(given, str) and given.strip() else None
    if fix is not None:
        (target / "oracle").mkdir()
        (target / "oracle" / "solve.sh").write_text(oracle_script(fix), encoding="utf-8")
    criteria: dict[str, Any] = {
        "grading_patch": "grading/test.patch",
        "named_tests": {"must_pass": must_pass, "must_still_pass": must_still_pass}}
    if options.python_path:
        criteria["python_path"] = list(options.python_path)
    spec: dict[str, Any] = {
        "name": name,
        "description": f"SWE-bench instance {text['instance_id']} of {text['repo']}",
        "version": str(instance.get("version") or "1.0"),
        "tags": ["swe-bench", repo_tag(text["repo"])],
        "boilerplate_url": resolve_url(options.repo_url.replace("{repo}", text["repo"]),
                                       Path.cwd()),
        "boilerplate_ref": text["base_commit"],
        "timeout_seconds": options.timeout_seconds,
    }
    environment = environment_of(instance, options)
    if environment is not None:
        spec["environment"] = environment
    if options.setup:
        spec["setup"] = [{"name": f"setup-{n}", "run": command,
                          "network": options.setup_network}
                         for n, command in enumerate(options.setup, start=1)]
    spec.update({
        "initial_prompt": text["problem_statement"].rstrip() + PROMPT_TAIL,
        "workflow_phases": [{"phase_name": "fix", "agent": "developer",
                             "prompt": "Resolve the issue."}],
        "success_criteria": criteria,
        "metadata": {"swe_bench": {key: instance[key] for key in KEPT
                                   if isinstance(instance.get(key), str)}},
    })
    if fix is not None:
        spec["oracle"] = "oracle"
    path = target / f"bench_{name.replace('-', '_')}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def load_environments(path: Path) -> dict[str, dict[str, Any]]:
    """A specs file (YAML or JSON): ``owner/name@version`` or ``owner/name`` -> the
    ``environment:`` keys (python, packages, install, env, test_network), each checked."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InstanceError(f"cannot read the specs file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InstanceError(f"the specs file {path} is not a mapping of owner/name[@version] "
                            "to an environment")
    found = {}
    for key, value in data.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(@[^@\s]+)?", str(key)):
            raise InstanceError(f"the specs file {path}: {key!r} is not owner/name or "
                                "owner/name@version")
        found[str(key)] = checked_environment(value, f"the specs file {path}, {key}")
    return found


def checked_environment(value: object, where: str) -> dict[str, Any]:
    """``value`` as an ``environment:`` mapping, or an error that names ``where``."""
    try:
        return PythonEnvironment.model_validate(value).model_dump(exclude_defaults=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'environment'}: {e['msg']}"
                             for e in exc.errors())
        raise InstanceError(f"{where}: {problems}") from None


def environment_of(instance: dict[str, Any], options: ImportOptions) -> dict[str, Any] | None:
    """The record's own environment, else the specs file's for its repository and version,
    else for its repository; None when neither says."""
    if instance.get("environment") is not None:
        return checked_environment(instance["environment"], "its environment")
    repo, version = instance["repo"], instance.get("version")
    for key in ([f"{repo}@{version}"] if isinstance(version, str) else []) + [repo]:
        if key in options.environments:
            return options.environments[key]
    return None


def node_ids(value: object, key: str) -> list[str]:
    """A list of pytest node ids, from a list or from the JSON text of one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InstanceError(f"{key} is neither a list nor JSON text of one") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InstanceError(f"{key} is not a list of test ids")
    for node_id in value:
        path = PurePosixPath(node_id.split("::", 1)[0])
        if (not path.name.endswith(".py") or path.is_absolute() or ".." in path.parts):
            raise InstanceError(f"{key}: {node_id!r} is not a pytest node id "
                                "(path/to/test_file.py::test_name): this instance needs its "
                                "repository's own test runner")
    return list(dict.fromkeys(value))


def repo_tag(repo: str) -> str:
    """owner/name as a pytest marker: ``pytest -m django__django``."""
    tag = re.sub(r"[^A-Za-z0-9_-]", "_", repo.replace("/", "__"))
    return tag if re.match(r"[A-Za-z_]", tag) else f"_{tag}"


def oracle_script(fix: str) -> str:
    """A solve.sh that applies the reference fix with git, the patch inline."""
    marker = f"GAOBENCH_PATCH_{secrets.token_hex(8)}"
    return (f"#!/bin/sh\nset -e\ngit apply --whitespace=nowarn <<'{marker}'\n"
            f"{_ending_in_newline(fix)}{marker}\n")


def _ending_in_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
