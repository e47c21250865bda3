"""Pure scoring functions: answer graders, the LLM judge and the named reward terms (SPEC section 3).

Graders map ``(prediction, answer, **args)`` to ``[0, 1]``; :func:`grade` picks one from a task.
The reward terms combine into ``R = R_acc + 0.1 * n_tc * 1[R_acc = 1]``:

>>> from pyvision_envs.rewards import combine, numeric
>>> combine(numeric("12 cm", "12"), n_tool_calls=2, well_formed=True).total
1.2
"""

from pyvision_envs.rewards.graders import choice, exact, numeric, parse_choice
from pyvision_envs.rewards.judge import DEFAULT_PROMPT, Judge, JudgeError, OpenAIJudge, parse_verdict
from pyvision_envs.rewards.mra import mean_relative_accuracy, mra, mra_correct
from pyvision_envs.rewards.normalize import Number, normalize_text, parse_number
from pyvision_envs.rewards.registry import GRADERS, JUDGE, Grader, get_grader, grade, grader_names
from pyvision_envs.rewards.terms import TOOL_COEF, accuracy_reward, combine, format_reward, tool_reward

__all__ = [
    "DEFAULT_PROMPT",
    "GRADERS",
    "JUDGE",
    "TOOL_COEF",
    "Grader",
    "Judge",
    "JudgeError",
    "Number",
    "OpenAIJudge",
    "accuracy_reward",
    "choice",
    "combine",
    "exact",
    "format_reward",
    "get_grader",
    "grade",
    "grader_names",
    "mean_relative_accuracy",
    "mra",
    "mra_correct",
    "normalize_text",
    "numeric",
    "parse_choice",
    "parse_number",
    "parse_verdict",
    "tool_reward",
]
