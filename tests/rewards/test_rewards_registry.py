"""The grader registry and grade(task, prediction, judge)."""

import inspect
from types import MappingProxyType

import pytest

from pyvision_envs.rewards import GRADERS, get_grader, grade, grader_names
from pyvision_envs.types import Task


def task(grader, answer, question="q?", **args):
    return Task(id="t-1", question=question, answer=answer, grader=grader, grader_args=MappingProxyType(args))


def test_every_grader_takes_prediction_answer_then_keyword_options():
    for name, fn in GRADERS.items():
        params = list(inspect.signature(fn).parameters.values())
        assert [p.name for p in params[:2]] == ["prediction", "answer"], name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:]), name


def test_names():
    assert grader_names() == ["choice", "exact", "judge", "mra", "numeric"]


def test_unknown_grader_suggests_the_close_name():
    with pytest.raises(KeyError, match="Did you mean 'choice'"):
        get_grader("choise")
    with pytest.raises(KeyError, match="known:") as err:
        get_grader("zzz")
    assert "Did you mean" not in str(err.value)
    with pytest.raises(KeyError, match="judge="):
        get_grader("judge")


@pytest.mark.parametrize(
    "t, prediction, expected",
    [
        (task("exact", "red"), "Red.", 1.0),
        (task("choice", "B", choices=["cat", "dog"]), "dog", 1.0),
        (task("choice", "B", choices=["cat", "dog"]), "cat", 0.0),
        (task("numeric", "10", rel_tol=0.05), "10.4 m", 1.0),
        (task("numeric", "10"), "10.4 m", 0.0),
        (task("mra", "2"), "2.4", 1.0),
        (task("mra", "2", raw=True), "2.4", 0.6),
        (task("numeric", "3"), None, 0.0),
    ],
)
def test_grade_uses_the_tasks_grader_and_args(t, prediction, expected):
    assert grade(t, prediction) == pytest.approx(expected)


def test_grade_default_task_grader_is_exact():
    assert grade(Task(id="t", question="q", answer="yes"), "YES") == 1.0


def test_grade_rejects_unknown_grader_args_naming_the_task():
    with pytest.raises(ValueError, match=r"task 't-1'.*\['rel_tolerance'\].*'numeric'.*rel_tol"):
        grade(task("numeric", "3", rel_tolerance=0.1), "3")


def test_judge_task_needs_a_judge():
    with pytest.raises(ValueError, match="no judge was given"):
        grade(task("judge", "Paris"), "Paris")


def test_judge_task_calls_the_judge_with_question_prediction_answer():
    seen = []

    def judge(question, prediction, answer):
        seen.append((question, prediction, answer))
        return 1.0

    assert grade(task("judge", "Paris", question="Capital of France?"), "paris, France", judge=judge) == 1.0
    assert seen == [("Capital of France?", "paris, France", "Paris")]
    assert grade(task("judge", "Paris"), None, judge=judge) == 0.0  # no answer: the judge is not asked
    assert len(seen) == 1


def test_judge_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="must return"):
        grade(task("judge", "x"), "x", judge=lambda q, p, a: 2.0)
    with pytest.raises(ValueError, match="takes no grader_args"):
        grade(task("judge", "x", strict=True), "x", judge=lambda q, p, a: 1.0)
