"""Mean Relative Accuracy (MRA), VSI-Bench's score for numeric spatial answers (SPEC section 3).

``MRA = mean over theta in {0.50, 0.55, ..., 0.95} of 1[|pred - gt| / |gt| < 1 - theta]``, and an answer
counts as correct when ``MRA >= 0.5``, which is the same as a relative error below 0.3.

This follows the paper's definition: ten thresholds and a strict ``<``. The released VSI-Bench code
(``np.linspace(0.5, 0.95, int((0.95 - 0.5) / 0.05 + 2))`` with ``<=``) evaluates eleven thresholds spaced
0.045 apart; scores differ slightly from it near the thresholds. The comparison here is exact (rational
arithmetic), so "105" against 100 sits on the 0.95 threshold and fails it, as the strict ``<`` says.
"""

from __future__ import annotations

import math
from fractions import Fraction

from pyvision_envs.rewards.normalize import parse_number

__all__ = ["THRESHOLDS", "mean_relative_accuracy", "mra_correct", "mra"]

THRESHOLDS: tuple[Fraction, ...] = tuple(Fraction(k, 100) for k in range(50, 100, 5))
"""The confidence thresholds theta = 0.50, 0.55, ..., 0.95, as exact fractions."""

CORRECT_AT = 0.5
"""MRA at or above which an answer counts as correct."""


def _exact(x: float | int | Fraction) -> Fraction | None:
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    x = float(x)
    if not math.isfinite(x):
        return None
    return Fraction(repr(x))  # the shortest decimal: 1.05 means 21/20, not its binary neighbour


def mean_relative_accuracy(pred: float | Fraction, gt: float | Fraction) -> float:
    """MRA of one numeric prediction against the ground truth, in ``[0, 1]``.

    A ground truth of 0 has no relative error: the score is 1.0 for a prediction of exactly 0, else 0.0.
    A non-finite prediction scores 0.0.

    Examples:
        >>> mean_relative_accuracy(100, 100)
        1.0
        >>> mean_relative_accuracy(110, 100)   # error 0.10 passes theta = 0.50 .. 0.85
        0.8
        >>> mean_relative_accuracy(105, 100)   # error 0.05 is not < 1 - 0.95
        0.9
        >>> mean_relative_accuracy(-50, -100), mean_relative_accuracy(200, 100)
        (0.0, 0.0)
    """
    p, g = _exact(pred), _exact(gt)
    if g is None:
        raise ValueError(f"mean_relative_accuracy: ground truth {gt!r} is not a finite number")
    if p is None:
        return 0.0
    if g == 0:
        return 1.0 if p == 0 else 0.0
    rel_err = abs(p - g) / abs(g)
    return sum(rel_err < 1 - theta for theta in THRESHOLDS) / len(THRESHOLDS)


def mra_correct(pred: float | Fraction, gt: float | Fraction) -> bool:
    """Whether a prediction counts as correct: ``MRA >= 0.5`` (a relative error below 0.3).

    Examples:
        >>> mra_correct(129, 100), mra_correct(130, 100), mra_correct(71, 100), mra_correct(70, 100)
        (True, False, True, False)
    """
    return mean_relative_accuracy(pred, gt) >= CORRECT_AT


def mra(prediction: str | None, answer: str, *, raw: bool = False) -> float:
    """Grade a numeric answer by MRA: correctness as 1.0/0.0, or the MRA itself with ``raw=True``.

    The prediction is parsed as by the ``numeric`` grader (units and separators stripped; several
    different numbers or no number score 0). Percent signs are ignored: "50%" reads as 50.

    Args:
        prediction: The extracted answer, for example ``"3.2 m"``.
        answer: The ground-truth number.
        raw: Return the MRA in ``[0, 1]`` instead of ``1[MRA >= 0.5]``.

    Raises:
        ValueError: ``answer`` is not a single number.

    Examples:
        >>> mra("2.4 m", "2"), mra("2.4 m", "2", raw=True)
        (1.0, 0.6)
        >>> mra("about 3 or 4", "3"), mra("", "3")
        (0.0, 0.0)
    """
    target = parse_number(answer)
    if target is None:
        raise ValueError(f"mra grader: answer {answer!r} is not a single number; fix the task's answer")
    pred = parse_number(prediction)
    if pred is None:
        return 0.0
    score = mean_relative_accuracy(pred.value, target.value)
    if raw:
        return score
    return 1.0 if score >= CORRECT_AT else 0.0
