"""Unit tests of the status model: the five statuses and their transitions."""

from __future__ import annotations

import pytest

from pytest_gaobench.model.status import BenchmarkStatus, InvalidTransition, StatusHistory


def test_values_are_the_seeds() -> None:
    assert [s.value for s in BenchmarkStatus] == ["pending", "running", "completed", "failed",
                                                 "timeout"]
    assert {s for s in BenchmarkStatus if s.is_final} == {
        BenchmarkStatus.COMPLETED, BenchmarkStatus.FAILED, BenchmarkStatus.TIMEOUT}


def test_history_records_each_transition_in_order_and_reports_it() -> None:
    seen: list[list[str]] = []
    history = StatusHistory(on_change=lambda h: seen.append([c.status.value for c in h.changes]))
    assert history.current is BenchmarkStatus.PENDING
    history.transition(BenchmarkStatus.RUNNING)
    history.transition(BenchmarkStatus.TIMEOUT)
    assert seen == [["pending", "running"], ["pending", "running", "timeout"]]
    times = [c.at for c in history.changes]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)


@pytest.mark.parametrize(("path", "bad"), [
    ([], BenchmarkStatus.COMPLETED),  # a run cannot complete without running
    ([BenchmarkStatus.RUNNING], BenchmarkStatus.PENDING),
    ([BenchmarkStatus.RUNNING, BenchmarkStatus.COMPLETED], BenchmarkStatus.FAILED),
    ([BenchmarkStatus.FAILED], BenchmarkStatus.RUNNING),
])
def test_illegal_transitions_are_refused(path: list[BenchmarkStatus],
                                         bad: BenchmarkStatus) -> None:
    history = StatusHistory()
    for status in path:
        history.transition(status)
    with pytest.raises(InvalidTransition):
        history.transition(bad)
    assert history.current is (path[-1] if path else BenchmarkStatus.PENDING)
