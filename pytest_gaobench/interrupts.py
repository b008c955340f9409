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

from .status import BenchmarkStatus, FailureKind


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


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


def interruption(exc: BaseException) -> tuple[BenchmarkStatus, FailureKind | None, str]:
    """The final status, kind and reason of a run stopped by ``exc``."""
    if is_backstop_timeout(exc):
        return BenchmarkStatus.TIMEOUT, None, f"pytest-timeout backstop: {exc}"
    if isinstance(exc, Terminated):
        return BenchmarkStatus.FAILED, FailureKind.INTERRUPTED, "terminated (SIGTERM)"
    if isinstance(exc, KeyboardInterrupt):
        return BenchmarkStatus.FAILED, FailureKind.INTERRUPTED, "interrupted (Ctrl-C)"
    return BenchmarkStatus.FAILED, FailureKind.INTERRUPTED, f"interrupted ({type(exc).__name__})"
