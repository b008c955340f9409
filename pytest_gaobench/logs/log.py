"""Per-run structured logs: events.jsonl (structlog) and transcript.jsonl, both redacted.

A library must not configure global logging, so each run gets its own structlog
pipeline writing to its own file; redaction is a processor placed before the renderer.
Every line is flushed as it is written, so a killed run keeps what happened.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import structlog

from .redaction import Redactor


def _timestamp(_logger: Any, _method: str, event: MutableMapping[str, Any]
               ) -> MutableMapping[str, Any]:
    event["timestamp"] = datetime.now(UTC).isoformat()
    return event


class _Redact:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, _logger: Any, _method: str, event: MutableMapping[str, Any]
                 ) -> MutableMapping[str, Any]:
        return {key: self.redactor.value(value) for key, value in event.items()}


class _LineWriter:
    """A structlog logger that appends each rendered event as one flushed line."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def msg(self, message: str) -> None:
        self._handle.write(message + "\n")
        self._handle.flush()

    debug = info = warning = error = critical = exception = msg


class RunLog:
    """The events log and the transcript of one run."""

    def __init__(self, run_dir: Path, redactor: Redactor, **context: Any) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.redactor = redactor
        self._events_file = (run_dir / "events.jsonl").open("a", encoding="utf-8")
        self._transcript_file = (run_dir / "transcript.jsonl").open("a", encoding="utf-8")
        self.events: structlog.typing.FilteringBoundLogger = structlog.wrap_logger(
            _LineWriter(self._events_file),
            processors=[
                structlog.processors.add_log_level,
                _timestamp,
                structlog.processors.format_exc_info,
                _Redact(redactor),
                structlog.processors.JSONRenderer(default=str),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(0),
            context_class=dict,
        ).bind(**context)

    def transcript(self, kind: str, **data: Any) -> None:
        """Append one agent message, request, response, or tool call/result."""
        record = {"at": datetime.now(UTC).isoformat(), "kind": kind, **data}
        # Redact the rendered line: objects turned into text by `default=str` are covered too.
        line = self.redactor.text(json.dumps(record, default=str))
        self._transcript_file.write(line + "\n")
        self._transcript_file.flush()

    def close(self) -> None:
        self._events_file.close()
        self._transcript_file.close()
