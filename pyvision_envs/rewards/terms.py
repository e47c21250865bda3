"""The named reward terms of an episode (SPEC section 3), each a small pure function.

``R = R_acc + coef * n_tc * 1[R_acc = 1] + R_format``, with ``coef = 0.1`` and ``R_format = 0`` in the
paper. Two leaks of the released PyVision-RL are closed here by construction:

* the tool term reads the *final* accuracy, so zeroing accuracy (for example by an anti-hacking check)
  also zeroes the tool bonus: the caller passes the accuracy after all such checks;
* ``n_tc`` counts only *successful* tool calls: the caller passes the number of code executions that
  ran without error or timeout (``Trajectory.tool_calls``, not ``tool_errors``).
"""

from __future__ import annotations

from pyvision_envs.types import RewardTerms

__all__ = ["TOOL_COEF", "accuracy_reward", "tool_reward", "format_reward", "combine"]

TOOL_COEF = 0.1
"""The paper's bonus per successful tool call on a correct answer."""


def accuracy_reward(correct: float) -> float:
    """The accuracy term: the grader's score itself (1.0 / 0.0, or a judge's or raw MRA's value).

    Raises:
        ValueError: ``correct`` is outside ``[0, 1]`` (graders never return that; a bug upstream).

    Examples:
        >>> accuracy_reward(True), accuracy_reward(0.0), accuracy_reward(0.6)
        (1.0, 0.0, 0.6)
    """
    value = float(correct)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"accuracy must be in [0, 1], got {correct!r}; graders return scores in [0, 1]")
    return value


def tool_reward(
    successful_tool_calls: int, accuracy: float, coef: float = TOOL_COEF, cap: int | None = None
) -> float:
    """The accumulative tool term: ``coef * n`` paid only when the answer is fully correct.

    Args:
        successful_tool_calls: Code executions that ran without error or timeout. The caller counts them
            (failed calls must not be passed: they would pay for spamming broken code).
        accuracy: The final accuracy term, after any check that zeroes it. Anything below 1.0 pays nothing.
        coef: Bonus per successful call.
        cap: Count at most this many calls (``None``: no cap).

    Raises:
        ValueError: A negative count, cap or coefficient.

    Examples:
        >>> round(tool_reward(3, accuracy=1.0), 6)
        0.3
        >>> tool_reward(10, accuracy=0.0), tool_reward(10, accuracy=0.9)   # wrong answers earn nothing
        (0.0, 0.0)
        >>> tool_reward(10, accuracy=1.0, cap=2)
        0.2
    """
    if successful_tool_calls < 0:
        raise ValueError(f"successful_tool_calls must be >= 0, got {successful_tool_calls}")
    if coef < 0:
        raise ValueError(f"tool reward coef must be >= 0, got {coef}")
    if cap is not None and cap < 0:
        raise ValueError(f"tool reward cap must be >= 0 or None, got {cap}")
    if accuracy < 1.0:
        return 0.0
    n = successful_tool_calls if cap is None else min(successful_tool_calls, cap)
    return coef * n


def format_reward(well_formed: bool, penalty: float = 0.0) -> float:
    """The format term: 0 for a well-formed episode, ``-penalty`` for a malformed one.

    Raises:
        ValueError: ``penalty`` is negative (pass the size of the penalty, not its sign).

    Examples:
        >>> format_reward(True, penalty=0.5), format_reward(False, penalty=0.5), format_reward(False)
        (0.0, -0.5, 0.0)
    """
    if penalty < 0:
        raise ValueError(f"format penalty must be >= 0 (it is subtracted), got {penalty}")
    return 0.0 if well_formed or penalty == 0 else -float(penalty)  # never -0.0


def combine(
    accuracy: float,
    n_tool_calls: int,
    well_formed: bool,
    coef: float = TOOL_COEF,
    cap: int | None = None,
    format_penalty: float = 0.0,
    tool_reward_on: bool = True,
) -> RewardTerms:
    """Build the episode's :class:`~pyvision_envs.types.RewardTerms`; ``.total`` is the reward.

    Args:
        accuracy: The grader's score in ``[0, 1]``, after any check that zeroes it.
        n_tool_calls: Successful tool calls only (see :func:`tool_reward`).
        well_formed: The episode kept the protocol's format.
        coef: Tool bonus per call.
        cap: Cap on the counted calls.
        format_penalty: Subtracted when ``well_formed`` is false.
        tool_reward_on: ``False`` drops the tool term (the paper's ablation).

    Examples:
        ``R = R_acc + 0.1 * n_tc * 1[R_acc = 1]``:

        >>> for acc, n in [(1.0, 0), (1.0, 3), (0.0, 3), (0.0, 0)]:
        ...     t = combine(acc, n, well_formed=True)
        ...     print(acc, n, round(t.total, 6), round(acc + 0.1 * n * (acc == 1), 6))
        1.0 0 1.0 1.0
        1.0 3 1.3 1.3
        0.0 3 0.0 0.0
        0.0 0 0.0 0.0
        >>> combine(1.0, 2, well_formed=True, tool_reward_on=False).total
        1.0
        >>> combine(0.0, 2, well_formed=False, format_penalty=0.5)
        RewardTerms(accuracy=0.0, tool=0.0, format=-0.5)
    """
    acc = accuracy_reward(accuracy)
    tool = tool_reward(n_tool_calls, acc, coef=coef, cap=cap) if tool_reward_on else 0.0
    return RewardTerms(accuracy=acc, tool=tool, format=format_reward(well_formed, format_penalty))
