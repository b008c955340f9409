import pytest

from calc.ops import div, mul


def test_mul():
    assert mul(3, 4) == 12


def test_div():
    assert div(7, 2) == 3.5


def test_div_by_zero():
    with pytest.raises(ZeroDivisionError):
        div(1, 0)
