"""The replay agent: re-runs a recorded anthropic run (a cassette) with no network.

A cassette (``<name>.jsonl``, written with ``--gaobench-record DIR``) holds the model's
replies of each phase of one recorded run. Replay executes the same tool calls, in order, in a fresh
sandbox, so a regression in the harness, the tools or the grading shows up without
calling the API. It makes no API calls, so it reports no tokens or cost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..base import InfraError, PhaseContext
from .tool_calls import run_tools
from .tools import Toolbox


class ReplayAgent:
    name = "replay"

    def __init__(self, cassette_dir: Path | None = None, command_timeout: float = 120.0) -> None:
        self.cassette_dir = cassette_dir
        self.command_timeout = command_timeout

    def cassette(self, ctx: PhaseContext) -> Path:
        folder = self.cassette_dir or ctx.config.base_dir / "cassettes"
        return folder / f"{ctx.config.name}.jsonl"

    def run_phase(self, ctx: PhaseContext) -> None:
        toolbox = Toolbox(ctx.sandbox, command_timeout=self.command_timeout)
        for reply in self._replies(ctx):
            ctx.check_deadline()
            ctx.usage.record_turn()
            calls = [b for b in reply["content"] if b.get("type") == "tool_use"]
            if calls:
                run_tools(ctx, toolbox, calls)

    def _replies(self, ctx: PhaseContext) -> list[dict[str, Any]]:
        path = self.cassette(ctx)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InfraError(f"no cassette to replay at {path} ({exc.strerror}); record one "
                             "with --gaobench-agent anthropic --gaobench-record DIR") from None
        try:
            entries = [json.loads(line) for line in lines if line.strip()]
        except ValueError as exc:
            raise InfraError(f"cassette {path} is not JSON lines: {exc}") from None
        return [e for e in last_recording(entries) if e.get("phase") == ctx.phase.phase_name]


def last_recording(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies of the file's last recording: a cassette written by an older version
    may hold several recordings, each begun by a {"recording": RUN_ID} header line (or
    none, for the oldest files: then the whole file is one recording)."""
    starts = [index for index, entry in enumerate(entries) if "recording" in entry]
    return entries[starts[-1] + 1:] if starts else entries
