"""What run.log takes besides plain numbers, and how steps are read."""

import decimal
import fractions

import pytest

from teamsite_client.values import clean_step, flatten_metrics


class Scalar:
    """Stands in for a numpy scalar or a one-element tensor."""

    def __init__(self, value):
        self.value = value

    def item(self):
        return self.value


def test_number_like_values_are_unwrapped():
    values = flatten_metrics({"a": Scalar(0.25), "b": decimal.Decimal("1.5"), "c": fractions.Fraction(1, 4), "d": Scalar(True)})
    assert values == {"a": 0.25, "b": 1.5, "c": 0.25, "d": 1}
    with pytest.raises(TypeError, match="'e' must be a number, not Scalar"):
        flatten_metrics({"e": Scalar("text")})


def test_metric_names_are_checked():
    assert flatten_metrics({"val": {"top": {"1": 0.5}}}) == {"val/top/1": 0.5}
    with pytest.raises(TypeError, match="metric names are strings"):
        flatten_metrics({1: 0.5})
    with pytest.raises(ValueError, match="1 to 255 characters"):
        flatten_metrics({"x" * 256: 0.5})


def test_steps_are_whole_numbers():
    assert clean_step(3.0) == 3 and clean_step(Scalar(4).item()) == 4
    for bad in (3.5, True, "3"):
        with pytest.raises(TypeError):
            clean_step(bad)
