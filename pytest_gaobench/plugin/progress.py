"""Live progress in the terminal: a line when each phase starts and ends, and that a long
phase is still working, through pytest's own terminal reporter.

In a plain session the runner tells ``TerminalProgress`` directly (capture is set aside
for the line, as pytest's live logging does). Under xdist the workers' output is not
shown, so the controller's ``EventsWatcher`` reads the same events from each new run's
events.jsonl and prints them.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from ..results.formatting import format_seconds, format_usd, terminal_safe
from ..run.progress import Progress

POLL_SECONDS = 1.0


def progress_line(progress: Progress) -> str:
    who = f"{progress.benchmark} ({progress.run_id[-8:]})"
    phase = f"phase {progress.phase!r}"
    if progress.event == "phase_started":
        return f"  {who}: {phase} started (role {progress.role})"
    numbers = [format_seconds(progress.seconds or 0.0)]
    if progress.turns is not None:
        numbers.append(f"{progress.turns} turns")
    if progress.tokens is not None:
        numbers.append(f"{progress.tokens:,} tokens")
    if progress.cost_usd is not None:
        numbers.append(format_usd(progress.cost_usd))
    if progress.event == "phase_finished":
        return f"  {who}: {phase} {progress.status}: {', '.join(numbers)}"
    tool = f", last tool {progress.last_tool}" if progress.last_tool else ""
    return f"  {who}: {phase} still working: {', '.join(numbers)}{tool}"


def _write(config: pytest.Config, line: str) -> None:
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or config.get_verbosity() < 0:
        return
    capture: Any = config.pluginmanager.get_plugin("capturemanager")
    quiet = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    with quiet:
        reporter.write_line(terminal_safe(line))


class TerminalProgress:
    """The runner's progress listener in a session that runs its benchmarks itself."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def __call__(self, progress: Progress) -> None:
        _write(self.config, progress_line(progress))


class EventsWatcher:
    """Under xdist: prints the progress events of the runs the workers start."""

    def __init__(self, config: pytest.Config, runs_dir: Path, since: float) -> None:
        """``since``: the session's start (time.time()); older run folders are skipped."""
        self.config = config
        self.runs_dir = runs_dir
        self._known = {f for f in self._run_folders() if _modified(f) < since}
        self._offsets: dict[Path, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="gaobench-progress")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._read_new()  # the last events of runs that just ended

    def _run_folders(self) -> list[Path]:
        try:
            return [Path(entry.path) for entry in os.scandir(self.runs_dir)
                    if entry.is_dir()]
        except OSError:
            return []

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read_new()

    def _read_new(self) -> None:
        lines = []
        for folder in self._run_folders():
            if folder in self._known:
                continue
            for event in self._new_events(folder / "events.jsonl"):
                progress = _progress_of(event, folder.name)
                if progress is not None:
                    lines.append(progress_line(progress))
        if lines:  # xdist's progress dots may hold the line: start on a fresh one
            _write(self.config, "\n".join(["", *lines]))

    def _new_events(self, path: Path) -> list[dict[str, Any]]:
        try:
            with path.open("rb") as events:
                events.seek(self._offsets.get(path, 0))
                data = events.read()
        except OSError:
            return []
        complete = data[:data.rfind(b"\n") + 1]
        self._offsets[path] = self._offsets.get(path, 0) + len(complete)
        found = []
        for line in complete.splitlines():
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
        return found


def _modified(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0


_FIELDS = ("phase", "role", "status", "seconds", "turns", "tokens", "cost_usd", "last_tool")


def _progress_of(event: dict[str, Any], run_id: str) -> Progress | None:
    if event.get("event") not in ("phase_started", "phase_finished", "alive"):
        return None
    values = {key: event[key] for key in _FIELDS if key in event}
    values.setdefault("phase", "?")
    return Progress(event=str(event["event"]), run_id=run_id,
                    benchmark=str(event.get("benchmark", "?")), **values)
