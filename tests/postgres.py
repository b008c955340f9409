"""A real PostgreSQL server for the tests: initdb in a temporary folder, a unix socket
only (no TCP), stopped at the end. Skips with the reason where it cannot start."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    bindir = _server_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server here: apt-get install postgresql")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install psycopg)")
    base = Path(tempfile.mkdtemp(prefix="gaobench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_user, *argv], capture_output=True, text=True, timeout=120)

    started = False
    try:
        init = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8")
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
        start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w",
                    "-o", f"-k {base} -p {port} -c listen_addresses=''", "start")
        if start.returncode != 0:
            pytest.skip(f"PostgreSQL did not start: {start.stderr.strip()[-300:]}")
        started = True
        yield f"postgresql+psycopg://postgres@/postgres?host={base}&port={port}"
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
