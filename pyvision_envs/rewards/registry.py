"""The grader registry: look graders up by the name a :class:`~pyvision_envs.types.Task` carries."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType

from pyvision_envs.names import unknown_name
from pyvision_envs.rewards.graders import choice, exact, numeric
from pyvision_envs.rewards.judge import Judge
from pyvision_envs.rewards.mra import mra
from pyvision_envs.types import Task

__all__ = ["Grader", "GRADERS", "JUDGE", "grader_names", "get_grader", "grade"]

Grader = Callable[..., float]
"""A rule grader: ``(prediction, answer, **grader_args) -> float`` in ``[0, 1]``."""

GRADERS: Mapping[str, Grader] = MappingProxyType(
    {"choice": choice, "exact": exact, "numeric": numeric, "mra": mra}
)
"""The rule graders by name. ``"judge"`` is not here: it needs a :class:`Judge` instance."""

JUDGE = "judge"
"""The grader name that routes a task to an LLM judge."""


def grader_names() -> list[str]:
    """All grader names a task may use, ``"judge"`` included.

    Examples:
        >>> grader_names()
        ['choice', 'exact', 'judge', 'mra', 'numeric']
    """
    return sorted([*GRADERS, JUDGE])


def get_grader(name: str) -> Grader:
    """Return the rule grader called ``name``.

    Raises:
        KeyError: Unknown name (with a "did you mean" hint), or ``"judge"``, which needs
            :func:`grade` with a ``judge``.

    Examples:
        >>> get_grader("numeric")("12 cm", "12")
        1.0
        >>> get_grader("numerc")
        Traceback (most recent call last):
        ...
        KeyError: "unknown grader 'numerc'; known: ['choice', 'exact', 'judge', 'mra', 'numeric']. Did you mean 'numeric'?"
    """
    if name == JUDGE:
        raise KeyError("grader 'judge' is an LLM judge, not a function: call grade(task, prediction, judge=...)")
    if name not in GRADERS:
        raise KeyError(unknown_name("grader", name, grader_names()))
    return GRADERS[name]


def _check_args(task: Task, grader: Grader) -> None:
    params = inspect.signature(grader).parameters
    accepted = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(task.grader_args) - set(accepted))
    if unknown:
        raise ValueError(
            f"task {task.id!r}: grader_args {unknown} are not options of grader {task.grader!r}; "
            f"it accepts {accepted}"
        )


def grade(task: Task, prediction: str | None, judge: Judge | None = None) -> float:
    """Score ``prediction`` (the extracted answer) for ``task`` with ``task.grader`` and its arguments.

    Args:
        task: The task; its ``grader`` and ``grader_args`` pick and configure the grader.
        prediction: The answer the protocol extracted, or ``None`` when there was none (scores 0).
        judge: The LLM judge, required when ``task.grader == "judge"``.

    Returns:
        A score in ``[0, 1]``.

    Raises:
        KeyError: Unknown grader name.
        ValueError: ``grader_args`` the grader does not take, a judge task without a judge, or a judge
            that returned a score outside ``[0, 1]``.

    Examples:
        >>> grade(Task(id="t0", question="How many?", answer="4", grader="numeric"), "4 dots")
        1.0
        >>> grade(Task(id="t1", question="Which?", answer="B", grader="choice"), "(B) red")
        1.0
    """
    if task.grader == JUDGE:
        if judge is None:
            raise ValueError(
                f"task {task.id!r} uses grader 'judge' but no judge was given; pass "
                "judge=OpenAIJudge(base_url, model) (or any Judge) to grade() / the environment"
            )
        if task.grader_args:
            raise ValueError(f"task {task.id!r}: grader 'judge' takes no grader_args, got {dict(task.grader_args)}")
        if prediction is None or not str(prediction).strip():
            return 0.0
        score = float(judge(task.question, str(prediction), task.answer))
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"judge {judge!r} returned {score} for task {task.id!r}; a Judge must return [0, 1]")
        return score
    grader = get_grader(task.grader)
    _check_args(task, grader)
    return grader(prediction, task.answer, **task.grader_args)

