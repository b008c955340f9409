"""The nop agent: does nothing. A benchmark it passes measures nothing (gao-dev check)."""

from __future__ import annotations

from ..base import PhaseContext


class NopAgent:
    name = "nop"

    def run_phase(self, ctx: PhaseContext) -> None:
        ctx.note("nop")
