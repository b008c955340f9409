"""Inside the sandbox: the harness's one service on the agent's private loopback.

A sandboxed CLI agent runs in a network namespace of its own, where nothing of the
host's loopback (a results database, other runs' proxies, anything else listening) can
be reached. Its API still has to: the harness's metering proxy listens on a Unix
socket bound into the sandbox, and this script, started by bubblewrap in front of the
agent's command, listens on 127.0.0.1:PORT inside and relays each connection to that
socket (the way Anthropic's sandbox runtime reaches its proxies). It runs the command
as its child and exits with the command's status.

Run as ``python -I forwarder.py SOCKET PORT -- COMMAND...``; the standard library only,
so it imports nothing of the harness.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading

CHUNK = 65536


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy one direction until it ends, then pass the end on (a half-close)."""
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _relay(client: socket.socket, path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_relay, args=(client, path), daemon=True).start()


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: forwarder.py SOCKET PORT -- COMMAND...", file=sys.stderr)
        return 2
    path, port, command = argv[0], int(argv[1]), argv[3:]
    listener = socket.create_server(("127.0.0.1", port))
    threading.Thread(target=_serve, args=(listener, path), daemon=True).start()
    child = subprocess.Popen(command)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: child.send_signal(number))
    code = child.wait()
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
