"""MRA against hand-computed values (thresholds 0.50 .. 0.95, strict <)."""

import math

import pytest

from pyvision_envs.rewards import mean_relative_accuracy, mra, mra_correct
from pyvision_envs.rewards.mra import THRESHOLDS

# relative error e passes theta when e < 1 - theta; count of passing thetas / 10
HAND = [
    (100, 100, 1.0),  # e = 0: all ten
    (104, 100, 1.0),  # e = 0.04 < 0.05
    (105, 100, 0.9),  # e = 0.05 is not < 0.05 (theta 0.95 fails)
    (96, 100, 1.0),
    (95, 100, 0.9),
    (110, 100, 0.8),  # passes 0.50 .. 0.85
    (120, 100, 0.6),  # passes 0.50 .. 0.75
    (125, 100, 0.5),  # e = 0.25: passes 0.50 .. 0.70
    (130, 100, 0.4),  # e = 0.30: fails 0.70
    (140, 100, 0.2),
    (149, 100, 0.1),
    (150, 100, 0.0),  # e = 0.5 is not < 0.5
    (0, 100, 0.0),
    (300, 100, 0.0),
    (1.05, 1, 0.9),  # decimals compare exactly: 1.05 is 21/20, on the threshold
    (2.2, 2, 0.8),  # e = 0.1 exactly, not 0.10000000000000009
]
NEGATIVE = [(-110, -100, 0.8), (110, -100, 0.0), (-100, 100, 0.0)]


@pytest.mark.parametrize("pred, gt, expected", HAND + NEGATIVE)
def test_mean_relative_accuracy_hand_values(pred, gt, expected):
    assert mean_relative_accuracy(pred, gt) == pytest.approx(expected)


def test_thresholds_are_the_papers_ten():
    assert [float(t) for t in THRESHOLDS] == pytest.approx([0.5 + 0.05 * k for k in range(10)])


def test_zero_ground_truth_and_non_finite():
    assert mean_relative_accuracy(0, 0) == 1.0
    assert mean_relative_accuracy(0.001, 0) == 0.0
    assert mean_relative_accuracy(math.nan, 5) == 0.0
    assert mean_relative_accuracy(math.inf, 5) == 0.0
    with pytest.raises(ValueError, match="ground truth"):
        mean_relative_accuracy(1, math.nan)


@pytest.mark.parametrize(
    "pred, gt, expected",
    [(129, 100, True), (130, 100, False), (71, 100, True), (70, 100, False), (100, 100, True), (0, 1, False)],
)
def test_mra_correct_is_mra_at_least_half(pred, gt, expected):
    assert mra_correct(pred, gt) is expected
    assert (mean_relative_accuracy(pred, gt) >= 0.5) is expected


@pytest.mark.parametrize(
    "prediction, answer, raw, expected",
    [
        ("2.4 m", "2", False, 1.0),
        ("2.4 m", "2", True, 0.6),
        ("2.6 meters", "2", False, 0.0),
        ("2.6 meters", "2", True, 0.4),
        ("1,200", "1000", True, 0.6),  # e = 0.2: passes 0.50 .. 0.75
        (r"\frac{5}{2}", "2.5", True, 1.0),
        ("3 or 4", "3", True, 0.0),  # several numbers: no score
        ("", "3", False, 0.0),
        (None, "3", True, 0.0),
        ("about three", "3", False, 0.0),
    ],
)
def test_mra_grader(prediction, answer, raw, expected):
    assert mra(prediction, answer, raw=raw) == pytest.approx(expected)


def test_mra_grader_bad_answer_raises():
    with pytest.raises(ValueError, match="mra grader"):
        mra("3", "n/a")
