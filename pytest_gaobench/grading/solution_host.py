"""Serves the workspace to hidden tests that drive it out of process.

Run by the harness in a sandbox of its own (``python -I solution_host.py SOCKET``, the
workspace its folder): the grader's sandbox never runs the agent's code, and this one
cannot reach the grader's reports. Each connection is served by a fresh child forked from
a parent that has imported nothing of the workspace, so every test starts from a fresh
import. Requests (JSON lines, see ``solution_wire``): ``import`` a module, ``get`` or
``call`` a name in it, ``run`` a command (a CLI under test).
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from pytest_gaobench.grading.solution_wire import LINE_LIMIT, decode, dumps, encode, loads

OUTPUT_LIMIT = 4 * 1024 * 1024


def answer(request: dict[str, Any]) -> Any:
    op = request.get("op")
    if op == "run":
        done = subprocess.run([str(a) for a in request["argv"]], capture_output=True,
                              timeout=float(request.get("timeout", 60)),
                              env={**os.environ, **{str(k): str(v) for k, v in
                                                    (request.get("env") or {}).items()}},
                              cwd=request.get("cwd") or None, check=False)
        return {"returncode": done.returncode,
                "stdout": done.stdout[:OUTPUT_LIMIT].decode(errors="replace"),
                "stderr": done.stderr[:OUTPUT_LIMIT].decode(errors="replace")}
    target: Any = importlib.import_module(str(request["module"]))
    for name in request.get("path") or []:
        target = getattr(target, str(name))
    if op == "call":
        return target(*decode(request.get("args") or []), **decode(request.get("kwargs") or {}))
    return target if op == "get" else None


def serve(connection: socket.socket) -> None:
    reader = connection.makefile("rb")
    while True:
        line = reader.readline(LINE_LIMIT + 1)
        if not line:
            return
        try:
            reply = {"ok": encode(answer(loads(line)))}
        except BaseException as exc:  # the agent's code: SystemExit and all
            reply = {"error": {"type": type(exc).__name__, "message": str(exc)[:4000]}}
        connection.sendall(dumps(reply))


def main() -> None:
    path = sys.argv[1]
    sys.path.insert(0, os.getcwd())
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    os.dup2(2, 1)  # what the solution prints goes to the host's log, not the ready pipe
    while True:
        connection, _ = server.accept()
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                serve(connection)
            finally:
                os._exit(0)
        connection.close()


if __name__ == "__main__":
    main()
