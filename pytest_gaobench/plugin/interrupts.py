"""Ctrl-C, SIGTERM and the pytest-timeout backstop, turned into recorded outcomes.

SIGTERM is raised as ``Terminated``, a KeyboardInterrupt, so it takes pytest's own
interrupt path: the running benchmark records itself as interrupted, fixtures tear
down (the sandbox is removed), and pytest still writes the JUnit file.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import pytest

from ..run.outcome import Outcome, Terminated, interruption_outcome


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"received signal {signal.Signals(signum).name}")


class SigtermHandler:
    """Installs the SIGTERM handler for a session and puts the previous one back after."""

    def __init__(self) -> None:
        self._previous: signal.Handlers | object | None = None
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _raise_terminated)
            self._installed = True

    def restore(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)  # type: ignore[arg-type]
            self._installed = False


def is_backstop_timeout(exc: BaseException) -> bool:
    """pytest-timeout's signal method fails the test with 'Timeout >Ns'."""
    return isinstance(exc, pytest.fail.Exception) and str(exc).startswith("Timeout")


def pytest_interruption(exc: BaseException) -> Outcome:
    """The runner's interruption policy under pytest: the backstop is a TIMEOUT."""
    if is_backstop_timeout(exc):
        return Outcome.timeout(f"pytest-timeout backstop: {exc}")
    return interruption_outcome(exc)
