"""The reward terms: R = R_acc + 0.1 * n_tc * 1[R_acc = 1] + R_format, each term on its own."""

import pytest

from pyvision_envs.rewards import accuracy_reward, combine, format_reward, tool_reward
from pyvision_envs.types import RewardTerms


@pytest.mark.parametrize("value, expected", [(1, 1.0), (0, 0.0), (True, 1.0), (False, 0.0), (0.6, 0.6)])
def test_accuracy_reward_passes_grader_scores_through(value, expected):
    assert accuracy_reward(value) == expected


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_accuracy_reward_rejects_out_of_range(value):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        accuracy_reward(value)


@pytest.mark.parametrize(
    "n, accuracy, kwargs, expected",
    [
        (0, 1.0, {}, 0.0),
        (1, 1.0, {}, 0.1),
        (4, 1.0, {}, 0.4),
        (30, 0.0, {}, 0.0),  # wrong answer + many tools -> nothing
        (30, 0.99, {}, 0.0),  # partial credit (judge / raw MRA) is not full correctness
        (4, 1.0, {"coef": 0.25}, 1.0),
        (10, 1.0, {"cap": 3}, 0.3),
        (2, 1.0, {"cap": 3}, 0.2),
        (5, 1.0, {"cap": 0}, 0.0),
        (5, 1.0, {"coef": 0.0}, 0.0),
    ],
)
def test_tool_reward(n, accuracy, kwargs, expected):
    assert tool_reward(n, accuracy, **kwargs) == pytest.approx(expected)


@pytest.mark.parametrize("kwargs", [{"successful_tool_calls": -1}, {"coef": -0.1}, {"cap": -1}])
def test_tool_reward_rejects_negatives(kwargs):
    args = {"successful_tool_calls": 1, "accuracy": 1.0, **kwargs}
    with pytest.raises(ValueError, match=">= 0"):
        tool_reward(**args)


def test_format_reward():
    assert format_reward(True) == 0.0
    assert format_reward(True, penalty=1.0) == 0.0
    assert format_reward(False, penalty=1.0) == -1.0
    assert str(format_reward(False)) == "0.0"  # not "-0.0" in logs
    with pytest.raises(ValueError, match="subtracted"):
        format_reward(False, penalty=-1.0)


@pytest.mark.parametrize("acc", [0.0, 1.0])
@pytest.mark.parametrize("n", [0, 1, 2, 4, 7])
def test_combine_matches_the_paper_formula(acc, n):
    terms = combine(acc, n, well_formed=True)
    assert isinstance(terms, RewardTerms)
    assert terms.total == pytest.approx(acc + 0.1 * n * (1 if acc == 1 else 0))
    assert terms.accuracy == acc
    assert terms.format == 0.0


def test_combine_options():
    assert combine(1.0, 3, True, tool_reward_on=False) == RewardTerms(1.0, 0.0, 0.0)
    assert combine(1.0, 10, True, cap=4).tool == pytest.approx(0.4)
    assert combine(1.0, 2, True, coef=0.5).total == pytest.approx(2.0)
    terms = combine(1.0, 2, well_formed=False, format_penalty=0.5)
    assert (terms.accuracy, terms.tool, terms.format) == pytest.approx((1.0, 0.2, -0.5))
    assert terms.total == pytest.approx(0.7)


def test_combine_zeroed_accuracy_pays_no_tool_bonus():
    # The released code paid the bonus after an anti-hacking check zeroed accuracy. Here the caller
    # passes the final accuracy, and the bonus follows it.
    assert combine(0.0, 4, True).total == 0.0
