"""Live progress of a run: a phase started, a phase ended, the agent is still working.

The runner tells a ``ProgressListener`` (the plugin prints it in the terminal) and
writes the same events to events.jsonl, where an xdist controller, which runs no
benchmark itself, reads them. "Still working" comes at most every ``ALIVE_SECONDS``
per run, so a long phase shows it is alive without flooding a CI log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TypedDict

from ..model.metrics import Usage

ALIVE_SECONDS = 10.0


@dataclass(frozen=True)
class Progress:
    event: str
    """'phase_started', 'phase_finished' or 'alive'."""
    run_id: str
    benchmark: str
    phase: str
    role: str | None = None
    status: str | None = None
    seconds: float | None = None
    """Seconds since the phase started."""
    turns: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    last_tool: str | None = None

    def fields(self) -> dict[str, object]:
        """As written to events.jsonl (the event's own name is the log event's)."""
        return {key: value for key, value in asdict(self).items()
                if key != "event" and value is not None}


ProgressListener = Callable[[Progress], None]


class AliveThrottle:
    """Lets an 'alive' report through at most every ``ALIVE_SECONDS`` for one run."""

    def __init__(self, interval: float = ALIVE_SECONDS) -> None:
        self.interval = interval
        self.last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if self.interval > 0 and now - self.last < self.interval:
            return False
        self.last = now
        return True


class UsageFields(TypedDict):
    turns: int | None
    tokens: int | None
    cost_usd: float | None


def usage_fields(usage: Usage) -> UsageFields:
    return {"turns": usage.turns, "tokens": usage.tokens_total, "cost_usd": usage.cost_usd}
