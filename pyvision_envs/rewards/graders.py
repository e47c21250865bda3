r"""Rule graders: pure functions ``(prediction, answer, **args) -> float`` in ``[0, 1]``.

Each grader receives the answer string the protocol already extracted from ``\boxed{...}`` and grades only
that string. A prediction the grader cannot read scores 0 and never raises; a ground-truth ``answer`` it
cannot read is a data error and raises ``ValueError`` naming the value.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from fractions import Fraction

from pyvision_envs.rewards.normalize import Number, normalize_text, parse_number, strip_latex

__all__ = ["choice", "exact", "numeric", "parse_choice"]

# A letter, optionally introduced ("Option B", "answer: (b)") and optionally followed by a separator and
# the option's text ("B) the dog", "B: dog", "B. dog").
_CHOICE_RE = re.compile(
    r"^(?:(?:the\s+)?(?:option|choice|answer)\s*(?:is\s*)?[:\-]?\s*)?"
    r"(?:(?:\((?P<paren>[a-z])\)|\[(?P<square>[a-z])\])(?:\s*[.:：\-]?\s*(?P<text1>.*))?"
    r"|(?P<bare>[a-z])(?:\s*[.)\]:：\-]\s*(?P<text2>.*))?)$",
    re.IGNORECASE | re.DOTALL,
)


def _letter_index(letter: str) -> int:
    return string.ascii_uppercase.index(letter.upper())


def parse_choice(prediction: str | None, choices: Sequence[str] | None = None) -> int | None:
    """Return the 0-based option index a prediction picks, or ``None`` if it picks none or is ambiguous.

    Accepts "B", "(B)", "[B]", "B.", "B)", "b", "Option B", "B) text", "B: text", "B. text", and, when the
    option texts ``choices`` (in order A, B, ...) are given, the option text itself. A letter beyond the
    given choices, or "B) text" whose text is another option's text, picks nothing.

    Examples:
        >>> parse_choice("(B)")
        1
        >>> parse_choice("Option c")
        2
        >>> parse_choice("red", choices=["blue", "red"])
        1
        >>> parse_choice("A) red", choices=["blue", "red"]) is None   # letter and text disagree
        True
    """
    if prediction is None:
        return None
    s = strip_latex(str(prediction)).strip().strip("*`\"'").strip()
    m = _CHOICE_RE.match(s)
    # A bare letter followed by text needs a separator: "a cat" is the article, not option A.
    if m:
        index = _letter_index(m.group("paren") or m.group("square") or m.group("bare"))
        if choices is not None:
            if index >= len(choices):
                return None
            text = normalize_text(m.group("text1") or m.group("text2"))
            if text and text != normalize_text(choices[index]) and _option_index(text, choices) is not None:
                return None
        return index
    if choices is not None:
        return _option_index(normalize_text(s), choices)
    return None


def _option_index(normalized: str, choices: Sequence[str]) -> int | None:
    hits = [i for i, c in enumerate(choices) if normalize_text(c) == normalized]
    return hits[0] if len(hits) == 1 and normalized else None


def choice(prediction: str | None, answer: str, *, choices: Sequence[str] | None = None) -> float:
    """Grade a multiple-choice answer: 1.0 when the prediction picks the answer's option.

    Args:
        prediction: The extracted answer ("B", "(b)", "Option B", "B) text", or the option text).
        answer: The correct letter, or the correct option's text when ``choices`` is given.
        choices: The option texts in order A, B, ...; lets the option text count as an answer.

    Raises:
        ValueError: ``answer`` names no option, or ``choices`` is a string instead of a list.

    Examples:
        >>> choice("B", "B"), choice("(b)", "B"), choice("B: cat", "B"), choice("C", "B")
        (1.0, 1.0, 1.0, 0.0)
        >>> choice("the dog", "B", choices=["cat", "dog"])
        1.0
        >>> choice("B", "dog", choices=["cat", "dog"])
        1.0
    """
    if isinstance(choices, str):
        raise ValueError(f"choice grader: choices must be a list of option texts, got the string {choices!r}")
    target = parse_choice(answer, choices)
    if target is None:
        raise ValueError(
            f"choice grader: answer {answer!r} is neither an option letter nor one of the choices "
            f"{list(choices) if choices is not None else '(none given)'}; fix the task's answer or choices"
        )
    return 1.0 if parse_choice(prediction, choices) == target else 0.0


def exact(
    prediction: str | None, answer: str, *, aliases: Sequence[str] = (), case_sensitive: bool = False
) -> float:
    r"""Grade by normalized exact match (see :func:`~pyvision_envs.rewards.normalize.normalize_text`).

    Args:
        prediction: The extracted answer.
        answer: The correct answer.
        aliases: Further answers that also count as correct.
        case_sensitive: Compare without lower-casing.

    Examples:
        >>> exact("The Eiffel Tower.", "eiffel tower")
        1.0
        >>> exact(r"\text{red}", "Red"), exact("red car", "red")
        (1.0, 0.0)
        >>> exact("NYC", "New York City", aliases=["nyc"])
        1.0
    """
    if isinstance(aliases, str):
        raise ValueError(f"exact grader: aliases must be a list of strings, got the string {aliases!r}")
    pred = normalize_text(prediction, lower=not case_sensitive)
    if not pred:
        return 0.0
    targets = (normalize_text(a, lower=not case_sensitive) for a in (answer, *aliases))
    return 1.0 if pred in targets else 0.0


def _candidates(n: Number) -> tuple[Fraction, ...]:
    # "50%" may mean 50 or 0.5; either reading may match an answer written the other way.
    return (n.value, n.value / 100) if n.percent else (n.value,)


def _isclose(a: Fraction, b: Fraction, rel_tol: float, abs_tol: float) -> bool:
    # math.isclose in exact arithmetic: no float rounding, no overflow on 1e400.
    return abs(a - b) <= max(Fraction(rel_tol) * max(abs(a), abs(b)), Fraction(abs_tol))


def numeric(
    prediction: str | None,
    answer: str,
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    multiple: str = "reject",
) -> float:
    r"""Grade a number: 1.0 when the prediction's number is within tolerance of the answer's.

    Only ``prediction`` itself is parsed (the released PyVision-RL parsed the first number of the whole
    response). Units, thousands separators, ``\frac``, fractions, exponents and percents are understood;
    "50%" matches an answer of 50 or 0.5. A prediction that is not a number scores 0.

    Args:
        prediction: The extracted answer, for example ``"12 cm"``.
        answer: The correct number, in any form :func:`~pyvision_envs.rewards.normalize.parse_number` reads.
        rel_tol: Relative tolerance, as in ``math.isclose``.
        abs_tol: Absolute tolerance, as in ``math.isclose``.
        multiple: ``"reject"`` (default): a prediction with several different numbers scores 0;
            ``"first"`` / ``"last"``: grade its first / last number.

    Raises:
        ValueError: ``answer`` is not a single number, or a tolerance is negative.

    Examples:
        >>> numeric("1,024 px", "1024"), numeric(r"\frac{1}{2}", "0.5"), numeric("50%", "0.5")
        (1.0, 1.0, 1.0)
        >>> numeric("3 or 4", "4"), numeric("three", "3")
        (0.0, 0.0)
        >>> numeric("10.4", "10", rel_tol=0.05)
        1.0
    """
    if not (rel_tol >= 0 and abs_tol >= 0 and math.isfinite(rel_tol) and math.isfinite(abs_tol)):
        raise ValueError(f"numeric grader: tolerances must be finite and >= 0, got rel_tol={rel_tol}, abs_tol={abs_tol}")
    target = parse_number(answer)
    if target is None:
        raise ValueError(f"numeric grader: answer {answer!r} is not a single number; fix the task's answer")
    pred = parse_number(prediction, multiple=multiple)
    if pred is None:
        return 0.0
    hit = any(
        _isclose(p, t, rel_tol, abs_tol)
        for p in _candidates(pred)
        for t in _candidates(target)
    )
    return 1.0 if hit else 0.0
