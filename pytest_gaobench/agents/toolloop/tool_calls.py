"""Executing a model's tool calls: shared by the anthropic agent and replay.

Each call goes through the toolbox, is counted (calls, errors, interventions) and is
written to the transcript with its ``tool_use_id``, so a replayed run and a live one
leave the same record.
"""

from __future__ import annotations

from typing import Any

from ..base import PhaseContext
from .tools import Toolbox


def run_tools(ctx: PhaseContext, toolbox: Toolbox, calls: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """Run each call in order; the tool_result blocks to send back, in the same order."""
    results = []
    for call in calls:
        ctx.note("tool_call", name=call.get("name"),
                           tool_use_id=call.get("id"), input=call.get("input"))
        outcome = toolbox.call(str(call.get("name")), call.get("input"),
                               time_left=ctx.remaining())
        ctx.usage.record_tool_call(error=outcome.is_error)
        if outcome.intervention:
            ctx.usage.record_intervention()
        ctx.note("tool_result", name=call.get("name"),
                           tool_use_id=call.get("id"), is_error=outcome.is_error,
                           output=outcome.text)
        results.append({"type": "tool_result", "tool_use_id": call.get("id"),
                        "content": outcome.text, "is_error": outcome.is_error})
        ctx.alive(str(call.get("name")))
    return results
