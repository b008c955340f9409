"""How numbers are written in the terminal summary and the reports."""

from __future__ import annotations

import pytest

from pytest_gaobench.results.formatting import format_seconds


@pytest.mark.parametrize(("seconds", "written"), [
    (0.004, "0.00s"), (59.99, "59.99s"), (59.996, "1m00.00s"), (65.2, "1m05.20s"),
    (119.6, "1m59.60s"), (119.999, "2m00.00s"), (3600.0, "60m00.00s")])
def test_seconds_are_rounded_before_they_are_split_into_minutes(seconds: float,
                                                                written: str) -> None:
    assert format_seconds(seconds) == written
