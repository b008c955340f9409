"""The tools an API agent may call, all confined to the sandbox's workspace.

Each tool is a pydantic model of its input (which is also the JSON Schema the model
is shown) and one method of ``Toolbox``. Paths are resolved (symlinks included) and
refused when they leave the workspace; commands run through ``Sandbox.run_shell``
with the scrubbed environment and a per-command timeout; every output is bounded.
A bad call is returned to the model as an error result (and counted), never raised
into the harness.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...sandbox.file_search import PatternError, find_files
from ...sandbox.output import cut_middle
from ...sandbox.sandbox import Sandbox
from ...sandbox.untrusted import open_regular, read_regular, write_regular

DEFAULT_COMMAND_TIMEOUT = 120.0
DEFAULT_OUTPUT_LIMIT = 20_000
NO_ONE_TO_ASK = ("No one is available to answer: this run is non-interactive. Decide for "
                 "yourself, state your assumption, and continue.")


class ToolInput(BaseModel):
    """A tool's input, checked strictly: a wrong type or an unknown key is the model's error."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """The tool definition the Messages API takes."""
        schema = cls.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return {"name": cls.name, "description": cls.description, "input_schema": schema}


class RunCommand(ToolInput):
    name = "run_command"
    description = ("Run a shell command in the project folder and return its exit code and "
                   "output. Long outputs are cut in the middle.")
    command: str
    timeout_seconds: float = Field(default=DEFAULT_COMMAND_TIMEOUT, gt=0,
                                   description="default 120")


class ReadFile(ToolInput):
    name = "read_file"
    description = "Read a text file of the project (path relative to the project folder)."
    path: str
    offset: int = Field(default=1, description="first line, 1-based")
    limit: int = Field(default=0, ge=0, description="number of lines (0: to the end)")


class WriteFile(ToolInput):
    name = "write_file"
    description = "Create or overwrite a file with the given content."
    path: str
    content: str


class EditFile(ToolInput):
    name = "edit_file"
    description = "Replace one exact occurrence of old_text with new_text in a file."
    path: str
    old_text: str
    new_text: str


class ListFiles(ToolInput):
    name = "list_files"
    description = "List files matching a glob (default **/*), relative to the project."
    pattern: str = "**/*"


class Grep(ToolInput):
    name = "grep"
    description = ("Search files matching a glob for a regular expression; returns "
                   "path:line: text for each match.")
    pattern: str
    glob: str = "**/*"


class AskUser(ToolInput):
    name = "ask_user"
    description = "Ask the user a question. Counts as a manual intervention."
    question: str


TOOL_INPUTS: tuple[type[ToolInput], ...] = (RunCommand, ReadFile, WriteFile, EditFile,
                                            ListFiles, Grep, AskUser)
TOOLS: dict[str, type[ToolInput]] = {tool.name: tool for tool in TOOL_INPUTS}
TOOL_SPECS: list[dict[str, Any]] = [tool.spec() for tool in TOOL_INPUTS]


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
        self._handlers: dict[type[ToolInput], Callable[[Any, float], ToolOutcome]] = {
            RunCommand: self._run_command, ReadFile: self._read_file,
            WriteFile: self._write_file, EditFile: self._edit_file,
            ListFiles: self._list_files, Grep: self._grep, AskUser: self._ask_user}

    def call(self, name: str, arguments: object, *, time_left: float) -> ToolOutcome:
        try:
            tool = TOOLS.get(name)
            if tool is None:
                raise ToolError(f"unknown tool {name!r}; tools: {', '.join(TOOLS)}")
            return self._handlers[tool](_checked(tool, arguments), time_left)
        except ToolError as exc:
            return ToolOutcome(cut_middle(str(exc), self.output_limit), is_error=True)
        except (OSError, UnicodeError, ValueError, re.error) as exc:
            # ValueError: a NUL byte in a path or command, which the OS refuses.
            return ToolOutcome(cut_middle(f"{type(exc).__name__}: {exc}", self.output_limit),
                               is_error=True)

    def _bounded(self, text: str, *, is_error: bool = False) -> ToolOutcome:
        return ToolOutcome(cut_middle(text, self.output_limit), is_error=is_error)

    # -- the tools ---------------------------------------------------------------------

    def _run_command(self, args: RunCommand, time_left: float) -> ToolOutcome:
        timeout = min(args.timeout_seconds, self.command_timeout, time_left)
        if timeout <= 0:
            raise ToolError("no time left in this phase to run a command")
        result = self.sandbox.run_shell(args.command, timeout=timeout,
                                        output_limit=self.output_limit)
        if result.timed_out:
            return self._bounded(f"command timed out after {timeout:g}s and was killed"
                                 f"\n{result.stdout}\n{result.stderr}", is_error=True)
        text = f"exit code: {result.exit_code}\n{result.stdout}"
        if result.stderr:
            text += f"\n[stderr]\n{result.stderr}"
        return self._bounded(text, is_error=result.exit_code != 0)

    def _read_file(self, args: ReadFile, time_left: float) -> ToolOutcome:
        """Streams the file: only the lines asked for, and only up to the output limit, are
        ever held in memory, however large the file."""
        target = self._inside(args.path)
        if not target.is_file():
            raise ToolError(f"{args.path}: no such file")
        start = max(args.offset, 1)
        chosen: list[str] = []
        size = 0
        for number, line in enumerate(_bounded_lines(self._open_text(target)), start=1):
            if number < start:
                continue
            if (args.limit and len(chosen) >= args.limit) or size + len(line) > self.output_limit:
                if not args.limit or len(chosen) < args.limit:
                    chosen.append(f"\n[... cut by gaobench at {self.output_limit} characters; "
                                  f"read on with offset={number} ...]\n")
                break
            chosen.append(line)
            size += len(line)
        return ToolOutcome("".join(chosen))

    def _write_file(self, args: WriteFile, time_left: float) -> ToolOutcome:
        target = self._inside(args.path)
        write_regular(self._top(), target, args.content.encode("utf-8"))
        return ToolOutcome(f"wrote {len(args.content.encode())} bytes to {args.path}")

    def _edit_file(self, args: EditFile, time_left: float) -> ToolOutcome:
        target = self._inside(args.path)
        if not target.is_file():
            raise ToolError(f"{args.path}: no such file")
        original = read_regular(self._top(), target, EDIT_LIMIT).decode("utf-8")
        count = original.count(args.old_text)
        if count != 1:
            raise ToolError(f"{args.path}: old_text occurs {count} times; it must occur "
                            "exactly once")
        write_regular(self._top(), target,
                      original.replace(args.old_text, args.new_text).encode("utf-8"))
        return ToolOutcome(f"edited {args.path}")

    def _list_files(self, args: ListFiles, time_left: float) -> ToolOutcome:
        return self._bounded("\n".join(self._find(args.pattern)) or "(no files)")

    def _grep(self, args: Grep, time_left: float) -> ToolOutcome:
        """Streams each file line by line and stops once the output limit is reached."""
        regex = re.compile(args.pattern)
        found: list[str] = []
        size = 0
        for relative in self._find(args.glob):
            try:
                handle = self._open_text(Path(os.path.realpath(self.sandbox.workspace
                                                               / relative)))
            except OSError:  # not a regular file (any more): nothing to search
                continue
            for number, line in enumerate(_bounded_lines(handle), start=1):
                if not regex.search(line):
                    continue
                match = f"{relative}:{number}: {line.rstrip()}"
                if size + len(match) > self.output_limit:
                    found.append(f"[... more matches cut by gaobench at {self.output_limit} "
                                 "characters; narrow the pattern or the glob ...]")
                    return ToolOutcome("\n".join(found))
                found.append(match)
                size += len(match) + 1
        return ToolOutcome("\n".join(found) or "(no matches)")

    def _ask_user(self, args: AskUser, time_left: float) -> ToolOutcome:
        return ToolOutcome(NO_ONE_TO_ASK, intervention=True)

    # -- confinement -------------------------------------------------------------------

    def _top(self) -> Path:
        return self.sandbox.workspace.resolve()

    def _open_text(self, target: Path) -> TextIO:
        """A resolved file of the workspace, opened as hostile data: a regular file only,
        and the open never blocks (a FIFO is refused)."""
        return os.fdopen(open_regular(self._top(), target), encoding="utf-8",
                         errors="replace", newline="")

    def _inside(self, path: str) -> Path:
        top = self._top()
        target = (top / path).resolve()  # an absolute `path` replaces `top` here
        if not target.is_relative_to(top):
            raise ToolError(f"{path}: refused, it is outside the project folder")
        return target

    def _find(self, pattern: str) -> list[str]:
        try:
            return find_files(self.sandbox.workspace, pattern)
        except PatternError as exc:
            raise ToolError(str(exc)) from None


MAX_LINE = 64 * 1024
EDIT_LIMIT = 16 * 1024 * 1024
"""The largest file edit_file rewrites."""


def _bounded_lines(handle: TextIO) -> Iterator[str]:
    """The file's lines, a line longer than MAX_LINE coming in pieces: a file that is one
    enormous line is never read whole."""
    with handle:
        while line := handle.readline(MAX_LINE):
            yield line


def _checked(tool: type[ToolInput], arguments: object) -> ToolInput:
    """The validated input, or a ToolError the model can act on."""
    if not isinstance(arguments, dict):
        raise ToolError(f"{tool.name}: input must be an object")
    try:
        return tool.model_validate(arguments)
    except ValidationError as exc:
        raise ToolError(f"{tool.name}: " + "; ".join(
            _problem(error) for error in exc.errors())) from None


def _problem(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"missing required input {key}"
    if error["type"] == "extra_forbidden":
        return f"unknown input {key}"
    return f"{key}: {error['msg']}"
