"""The tools an API agent may call, all confined to the sandbox's workspace.

Paths are resolved (symlinks included) and refused when they leave the workspace;
commands run through ``Sandbox.run_shell`` with the scrubbed environment and a
per-command timeout; every output is bounded. A bad call is returned to the model
as an error result (and counted), never raised into the harness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sandbox import Sandbox

DEFAULT_COMMAND_TIMEOUT = 120.0
DEFAULT_OUTPUT_LIMIT = 20_000
NO_ONE_TO_ASK = ("No one is available to answer: this run is non-interactive. Decide for "
                 "yourself, state your assumption, and continue.")

TOOL_SPECS: list[dict[str, Any]] = [
    {"name": "run_command",
     "description": "Run a shell command in the project folder and return its exit code and "
                    "output. Long outputs are cut in the middle.",
     "input_schema": {"type": "object", "properties": {
         "command": {"type": "string"},
         "timeout_seconds": {"type": "number", "description": "default 120"}},
         "required": ["command"]}},
    {"name": "read_file",
     "description": "Read a text file of the project (path relative to the project folder).",
     "input_schema": {"type": "object", "properties": {
         "path": {"type": "string"},
         "offset": {"type": "integer", "description": "first line, 1-based"},
         "limit": {"type": "integer", "description": "number of lines"}},
         "required": ["path"]}},
    {"name": "write_file",
     "description": "Create or overwrite a file with the given content.",
     "input_schema": {"type": "object", "properties": {
         "path": {"type": "string"}, "content": {"type": "string"}},
         "required": ["path", "content"]}},
    {"name": "edit_file",
     "description": "Replace one exact occurrence of old_text with new_text in a file.",
     "input_schema": {"type": "object", "properties": {
         "path": {"type": "string"}, "old_text": {"type": "string"},
         "new_text": {"type": "string"}},
         "required": ["path", "old_text", "new_text"]}},
    {"name": "list_files",
     "description": "List files matching a glob (default **/*), relative to the project.",
     "input_schema": {"type": "object", "properties": {"pattern": {"type": "string"}}}},
    {"name": "grep",
     "description": "Search files matching a glob for a regular expression; returns "
                    "path:line: text for each match.",
     "input_schema": {"type": "object", "properties": {
         "pattern": {"type": "string"}, "glob": {"type": "string"}},
         "required": ["pattern"]}},
    {"name": "ask_user",
     "description": "Ask the user a question. Counts as a manual intervention.",
     "input_schema": {"type": "object", "properties": {"question": {"type": "string"}},
                      "required": ["question"]}},
]
_REQUIRED = {spec["name"]: (spec["input_schema"].get("required", []),
                            spec["input_schema"]["properties"]) for spec in TOOL_SPECS}
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int,
                                                   "number": (int, float)}


class ToolError(Exception):
    """A tool call that cannot be done; its message goes back to the model."""


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    is_error: bool = False
    intervention: bool = False
    """The agent asked a person for help (a manual intervention)."""


class Toolbox:
    def __init__(self, sandbox: Sandbox, *, command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
                 output_limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        self.sandbox = sandbox
        self.command_timeout = command_timeout
        self.output_limit = output_limit

    def call(self, name: str, arguments: object, *, time_left: float) -> ToolOutcome:
        try:
            checked = _check_input(name, arguments)
            return getattr(self, f"_{name}")(time_left=time_left, **checked)  # type: ignore[no-any-return]
        except ToolError as exc:
            return ToolOutcome(truncate(str(exc), self.output_limit), is_error=True)
        except (OSError, UnicodeError, re.error) as exc:
            return ToolOutcome(f"{type(exc).__name__}: {exc}", is_error=True)

    # -- the tools ---------------------------------------------------------------------

    def _run_command(self, *, command: str, time_left: float,
                     timeout_seconds: float | None = None) -> ToolOutcome:
        timeout = min(timeout_seconds or self.command_timeout, self.command_timeout, time_left)
        if timeout <= 0:
            raise ToolError("no time left in this phase to run a command")
        result = self.sandbox.run_shell(command, timeout=timeout,
                                        output_limit=self.output_limit)
        if result.timed_out:
            return ToolOutcome(truncate(f"command timed out after {timeout:g}s and was killed"
                                        f"\n{result.stdout}\n{result.stderr}",
                                        self.output_limit), is_error=True)
        text = f"exit code: {result.exit_code}\n{result.stdout}"
        if result.stderr:
            text += f"\n[stderr]\n{result.stderr}"
        return ToolOutcome(truncate(text, self.output_limit), is_error=result.exit_code != 0)

    def _read_file(self, *, path: str, time_left: float, offset: int | None = None,
                   limit: int | None = None) -> ToolOutcome:
        target = self._inside(path)
        if not target.is_file():
            raise ToolError(f"{path}: no such file")
        lines = target.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        start = max((offset or 1) - 1, 0)
        chosen = lines[start:start + limit] if limit else lines[start:]
        return ToolOutcome(truncate("".join(chosen), self.output_limit))

    def _write_file(self, *, path: str, content: str, time_left: float) -> ToolOutcome:
        target = self._inside(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return ToolOutcome(f"wrote {len(content.encode())} bytes to {path}")

    def _edit_file(self, *, path: str, old_text: str, new_text: str,
                   time_left: float) -> ToolOutcome:
        target = self._inside(path)
        if not target.is_file():
            raise ToolError(f"{path}: no such file")
        original = target.read_text(encoding="utf-8")
        count = original.count(old_text)
        if count != 1:
            raise ToolError(f"{path}: old_text occurs {count} times; it must occur exactly once")
        target.write_text(original.replace(old_text, new_text), encoding="utf-8")
        return ToolOutcome(f"edited {path}")

    def _list_files(self, *, time_left: float, pattern: str = "**/*") -> ToolOutcome:
        files = [p.relative_to(self.sandbox.workspace).as_posix()
                 for p in self._glob(pattern)]
        return ToolOutcome(truncate("\n".join(files) or "(no files)", self.output_limit))

    def _grep(self, *, pattern: str, time_left: float, glob: str = "**/*") -> ToolOutcome:
        regex = re.compile(pattern)
        found: list[str] = []
        for path in self._glob(glob):
            text = path.read_text(encoding="utf-8", errors="replace")
            relative = path.relative_to(self.sandbox.workspace).as_posix()
            found += [f"{relative}:{n}: {line}" for n, line in
                      enumerate(text.splitlines(), start=1) if regex.search(line)]
        return ToolOutcome(truncate("\n".join(found) or "(no matches)", self.output_limit))

    def _ask_user(self, *, question: str, time_left: float) -> ToolOutcome:
        return ToolOutcome(NO_ONE_TO_ASK, intervention=True)

    # -- confinement -------------------------------------------------------------------

    def _inside(self, path: str) -> Path:
        top = self.sandbox.workspace.resolve()
        target = (top / path).resolve()  # an absolute `path` replaces `top` here
        if not target.is_relative_to(top):
            raise ToolError(f"{path}: refused, it is outside the project folder")
        return target

    def _glob(self, pattern: str) -> list[Path]:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ToolError(f"{pattern}: refused, patterns stay inside the project folder")
        top = self.sandbox.workspace.resolve()
        return sorted(p for p in top.glob(pattern)
                      if p.is_file() and p.resolve().is_relative_to(top)
                      and ".git" not in p.relative_to(top).parts)


def _check_input(name: str, arguments: object) -> dict[str, Any]:
    if name not in _REQUIRED:
        raise ToolError(f"unknown tool {name!r}; tools: {', '.join(_REQUIRED)}")
    if not isinstance(arguments, dict):
        raise ToolError(f"{name}: input must be an object")
    required, properties = _REQUIRED[name]
    missing = [key for key in required if key not in arguments]
    if missing:
        raise ToolError(f"{name}: missing required input {', '.join(missing)}")
    unknown = [key for key in arguments if key not in properties]
    if unknown:
        raise ToolError(f"{name}: unknown input {', '.join(unknown)}")
    for key, value in arguments.items():
        expected = _JSON_TYPES[properties[key]["type"]]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ToolError(f"{name}: {key} must be a {properties[key]['type']}")
    return dict(arguments)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return (text[:half] + f"\n[... {len(text) - 2 * half} characters cut ...]\n"
            + text[-half:])
