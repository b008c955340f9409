"""The ``solution`` fixture: hidden tests that drive the workspace in another process.

Loaded into the grader (``-p``) for a benchmark with ``grading_mode: out_of_process``. The
grader never imports the workspace, so nothing the solution does can reach pytest, its
hooks or its reports: it runs in a sandbox of its own (``solution_host``), and only data
comes back::

    def test_add(solution):
        add = solution("calc").add
        assert add(2, 3) == 5

    def test_cli(solution):
        done = solution.run(["python", "-m", "todo", "list"])
        assert done.returncode == 0 and "milk" in done.stdout
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ..grading.solution_wire import (
    LINE_LIMIT,
    SOCKET_VARIABLE,
    SolutionError,
    decode,
    dumps,
    encode,
    loads,
    raised,
)

CALL_SECONDS = 120.0


class Connection:
    """One fresh process of the solution (a fresh import of every module)."""

    def __init__(self, path: str) -> None:
        self._socket = socket.socket(socket.AF_UNIX)
        self._socket.settimeout(CALL_SECONDS)
        self._socket.connect(path)
        self._reader = self._socket.makefile("rb")

    def ask(self, **request: Any) -> Any:
        try:
            self._socket.sendall(dumps(request))
            line = self._reader.readline(LINE_LIMIT + 1)
        except TimeoutError:
            raise TimeoutError(f"the solution did not answer in {CALL_SECONDS:g}s") from None
        if not line:
            raise SolutionError("ProcessGone", "the solution's process ended")
        if len(line) > LINE_LIMIT:
            raise SolutionError("ProtocolError", f"a reply over {LINE_LIMIT} bytes")
        reply = loads(line)
        if "error" in reply:
            raise raised(reply["error"])
        return decode(reply.get("ok"))

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


class Remote:
    """A name in a module of the solution: call it, or read it with ``.value()``."""

    def __init__(self, connection: Connection, module: str, path: tuple[str, ...]) -> None:
        self._connection, self._module, self._path = connection, module, path

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__"):
            raise AttributeError(name)
        return Remote(self._connection, self._module, (*self._path, name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._connection.ask(op="call", module=self._module, path=list(self._path),
                                    args=encode(list(args)), kwargs=encode(kwargs))

    def value(self) -> Any:
        return self._connection.ask(op="get", module=self._module, path=list(self._path))


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


class Solution:
    """``solution("module")``: the module, imported in a fresh process of the solution;
    ``solution.run(argv)``: a command run where the solution runs."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._opened: list[Connection] = []

    def __call__(self, module: str) -> Remote:
        connection = self._connect()
        connection.ask(op="import", module=module)
        return Remote(connection, module, ())

    def run(self, argv: list[str], *, env: dict[str, str] | None = None,
            cwd: str | None = None, timeout: float = 60) -> Completed:
        answer = self._connect().ask(op="run", argv=list(argv), env=env or {}, cwd=cwd,
                                     timeout=timeout)
        if not isinstance(answer, dict):
            raise SolutionError("ProtocolError", "a run without its result")
        return Completed(int(answer.get("returncode", -1)), str(answer.get("stdout", "")),
                         str(answer.get("stderr", "")))

    def _connect(self) -> Connection:
        connection = Connection(self._path)
        self._opened.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._opened:
            connection.close()


@pytest.fixture
def solution() -> Iterator[Solution]:
    path = os.environ.get(SOCKET_VARIABLE)
    if not path:
        pytest.fail("the solution fixture needs grading_mode: out_of_process")
    opened = Solution(path)
    yield opened
    opened.close()
