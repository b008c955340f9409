"""Harbor (and Terminal-Bench 2) tasks as benchmarks.

A task is a folder with ``task.toml`` (timeouts, metadata), ``instruction.md`` (the
prompt), ``environment/`` (its Dockerfile and build context), ``tests/test.sh`` (the
verifier: it writes a reward to ``/logs/verifier/reward.txt``) and ``solution/solve.sh``
(the reference solution). Each becomes a benchmark folder with a YAML file that names
them: a container environment built from ``environment/``, the instruction as the
prompt, ``tests/`` as the verifier, ``solution/`` as the oracle, the agent's and the
verifier's timeouts, and the metadata's tags. Importing (rather than collecting
``task.toml`` directly) gives one file format to collect, a YAML file a user can read and
change, and ``gao-dev check`` on the result.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .swe_bench import InstanceError
from .writing import Imported, ImportRefused, benchmark_folder, benchmark_name

DEFAULT_WORKDIR = "/app"
TAG = re.compile(r"[^A-Za-z0-9_-]")


def task_folders(source: Path) -> list[Path]:
    """Every folder under ``source`` (itself included) that holds a task.toml."""
    return sorted(path.parent for path in source.rglob("task.toml")
                  if not any(part.startswith(".") for part in path.parts))


def import_tasks(source: Path, out: Path, *, force: bool = False) -> Imported:
    imported = Imported()
    seen: dict[str, Path] = {}
    for task in task_folders(source):
        try:
            name = benchmark_name(task.name)
            if name in seen:
                raise InstanceError(f"it would be benchmark {name!r}, as {seen[name]} is")
            seen[name] = task
            with benchmark_folder(out / name, force=force) as target:
                path = write_task(task, target, name)
            imported.written.append(out / name / path.name)
        except (InstanceError, ImportRefused, ValueError) as exc:
            imported.skipped[str(task)] = str(exc)
        except OSError as exc:
            imported.skipped[str(task)] = f"{exc.filename or task}: {exc.strerror}"
    return imported


def write_task(task: Path, target: Path, name: str) -> Path:
    try:
        settings = tomllib.loads((task / "task.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(f"task.toml is not TOML: {exc}") from None
    instruction = task / "instruction.md"
    if not instruction.is_file():
        raise InstanceError("no instruction.md")
    if not (task / "tests" / "test.sh").is_file():
        raise InstanceError("no tests/test.sh (the verifier)")
    environment = _environment(task, settings)
    for folder in ("environment", "tests", "solution"):
        if (task / folder).is_dir():
            shutil.copytree(task / folder, target / folder, symlinks=True)
    verifier, agent = settings.get("verifier", {}), settings.get("agent", {})
    spec: dict[str, Any] = {
        "name": name,
        "description": str(settings.get("task", {}).get("description")
                           or f"Harbor task {task.name}"),
        "tags": ["harbor", *_tags(settings.get("metadata", {}))],
        "timeout_seconds": float(agent.get("timeout_sec", 1800)),
        "environment": environment,
        "initial_prompt": instruction.read_text(encoding="utf-8"),
        "workflow_phases": [{"phase_name": "solve", "agent": "developer"}],
        "success_criteria": {"verifier": "tests",
                             "verifier_timeout_seconds": float(verifier.get("timeout_sec",
                                                                            600))},
        "metadata": {"harbor": {key: value for key, value in settings.get("metadata",
                                                                          {}).items()
                                if isinstance(value, str | int | float | bool | list)}},
    }
    if (task / "solution" / "solve.sh").is_file():
        spec["oracle"] = "solution"
    path = target / f"bench_{name.replace('-', '_')}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def _environment(task: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The container: the prebuilt image task.toml names, else environment/Dockerfile."""
    options = settings.get("environment", {})
    found: dict[str, Any] = {}
    dockerfile = task / "environment" / "Dockerfile"
    if isinstance(options.get("docker_image"), str) and not dockerfile.is_file():
        found["image"] = options["docker_image"]
    elif dockerfile.is_file():
        found.update(dockerfile="environment/Dockerfile", context="environment")
    else:
        raise InstanceError("no environment/Dockerfile (a docker-compose environment is "
                            "not supported)")
    found["workdir"] = _workdir(dockerfile) if dockerfile.is_file() else DEFAULT_WORKDIR
    # Harbor lets the verifier install its tools unless the task forbids the internet.
    airgapped = _compose_network(task) == "none"
    found["grader_network"] = bool(options.get("allow_internet", True)) and not airgapped
    return found


def _compose_network(task: Path) -> str | None:
    """The ``network_mode`` of the one service of the task's docker-compose.yaml (an
    airgapped task says ``none``); a task with several services (a database beside it)
    is refused, since one container cannot be them."""
    compose = next((path for name in ("docker-compose.yaml", "docker-compose.yml")
                    if (path := task / "environment" / name).is_file()), None)
    if compose is None:
        return None
    try:
        data = yaml.safe_load(compose.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InstanceError(f"{compose.name} cannot be read: {exc}") from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or len(services) != 1:
        names = ", ".join(services) if isinstance(services, dict) else "none"
        raise InstanceError(f"{compose.name} has {len(services or {})} services ({names}): "
                            f"only a task of one container is supported")
    service = next(iter(services.values()))
    mode = service.get("network_mode") if isinstance(service, dict) else None
    return mode if isinstance(mode, str) else None


def _workdir(dockerfile: Path) -> str:
    """The Dockerfile's last absolute WORKDIR (the agent's working folder)."""
    found = DEFAULT_WORKDIR
    for line in dockerfile.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) == 2 and words[0].upper() == "WORKDIR" and words[1].startswith("/"):
            found = words[1].rstrip("/") or "/"
    return found


def _tags(metadata: dict[str, Any]) -> list[str]:
    given = metadata.get("tags")
    words = [*(given if isinstance(given, list) else []), metadata.get("category"),
             metadata.get("difficulty")]
    tags = []
    for word in words:
        if isinstance(word, str) and word.strip():
            tag = TAG.sub("_", word.strip())
            tags.append(tag if re.match(r"[A-Za-z_]", tag) else f"_{tag}")
    return list(dict.fromkeys(tags))
