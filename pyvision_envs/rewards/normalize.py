r"""Text and number normalization shared by the rule graders.

Graders receive the answer string the protocol already extracted from ``\boxed{...}``; this module only
cleans it. Two entry points:

* :func:`normalize_text` for string comparison (case, whitespace, end punctuation, articles, LaTeX wrappers);
* :func:`parse_numbers` / :func:`parse_number` for numbers (units, thousands separators, fractions,
  percents, scientific notation), parsing only the string it is given.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

__all__ = ["Number", "strip_latex", "normalize_text", "parse_numbers", "parse_number"]

# Wrappers whose argument is plain content: \text{cm} -> cm. Tokens for a one-pass brace matcher.
_WRAPPER_TOKEN_RE = re.compile(
    r"\\(?:text|textbf|textit|textrm|texttt|mathrm|mathbf|mathit|mathsf|mathtt|mbox|operatorname)\s*\{|[{}]"
)
_SPACING_RE = re.compile(r"\\[,!;:]")  # thin spaces, also used as thousands separators: 1\,024
_DEGREE_RE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?")
_FRAC_RE = re.compile(r"\\[dt]?frac\s*(?:\{([^{}]*)\}|(\d))\s*(?:\{([^{}]*)\}|(\d))")
_ARTICLE_RE = re.compile(r"\b(?:a|an|the)\b", re.IGNORECASE)
_END_PUNCT = " \t\n.,;:!?\"'`*"

# A number: thousands-separated or plain digits, optional decimals and exponent. ``(?!\d)`` stops
# "1,0245" from reading as 1,024 followed by a stray 5.
_UNSIGNED = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\d)"
_NUMBER_RE = re.compile(
    rf"(?<![\w.])(?P<sign>[-+]?)(?P<num>{_UNSIGNED})"
    rf"(?:\s*/\s*(?P<den>{_UNSIGNED}))?"
    r"(?P<pct>\s*(?:%|percent\b))?"
)
_TIMES_TEN_RE = re.compile(r"(\d)\s*(?:\\times|\\cdot|×|\*|x)\s*10\s*\^\s*\{?\s*([-+]?\d+)\s*\}?")
# Left over after the numbers are removed, these mean the prediction is an expression, not a number
# ("2^2", "\sqrt{2}/2", "3\pi"): reading "2" out of it would be wrong.
_OPERATOR_CHARS = set("^*/\\{}_|<>+×÷√π∞")
_OPERATOR_WORDS = {"pi", "sqrt", "inf", "infinity", "nan"}


class Number(NamedTuple):
    """A parsed number.

    Attributes:
        value: The exact value (``Fraction``), so "1/3" and "0.1" carry no float error.
        percent: The number carried a ``%`` sign or the word "percent" ("50%" has value 50).
    """

    value: Fraction
    percent: bool = False


def _unwrap(text: str) -> str:
    """Drop wrapper commands and their matching braces in one pass (linear even when deeply nested)."""
    out: list[str] = []
    stack: list[bool] = []  # per open brace: True if it belongs to a wrapper (drop its closing brace)
    pos = 0
    for m in _WRAPPER_TOKEN_RE.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "}":
            if not (stack and stack.pop()):
                out.append(token)
        else:
            stack.append(token != "{")
            if token == "{":
                out.append(token)
    out.append(text[pos:])
    return "".join(out)


def strip_latex(text: str) -> str:
    r"""Remove LaTeX that does not change an answer's meaning.

    Unwraps ``\text{..}``-style wrappers (nested ones too), drops ``$`` and ``\(`` ``\)`` delimiters,
    ``\left``/``\right``, thin spaces, and turns ``\%`` into ``%``, ``^\circ`` into ``°``,
    ``\dfrac``/``\tfrac`` into ``\frac``.

    Examples:
        >>> strip_latex(r"$\text{\textbf{12}}\ \mathrm{cm}$")
        '12 cm'
        >>> strip_latex(r"\left(1, 2\right)")
        '(1, 2)'
        >>> strip_latex(r"90^{\circ}")
        '90°'
    """
    s = text.replace("{,}", ",")
    s = _SPACING_RE.sub("", s)
    s = _unwrap(s)
    s = _DEGREE_RE.sub("°", s)
    s = s.replace("\\%", "%").replace("\\$", "").replace("\\ ", " ").replace("~", " ")
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\(?:left|right)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\[()\[\]]", "", s)
    return s.replace("$", "").replace("\u2212", "-").strip()


def normalize_text(text: str | None, lower: bool = True) -> str:
    r"""Normalize a short answer for exact comparison.

    Lower-cases, strips LaTeX wrappers (:func:`strip_latex`), drops the articles "a", "an", "the" (unless
    nothing else is left),
    collapses whitespace and strips punctuation and quotes at both ends. ``None`` becomes ``""``.
    ``lower=False`` keeps the case (articles are still dropped in any case).

    Examples:
        >>> normalize_text("  The Red  Square. ")
        'red square'
        >>> normalize_text(r"\text{Blue}")
        'blue'
        >>> normalize_text(None)
        ''
    """
    if text is None:
        return ""
    s = strip_latex(str(text))
    s = s.lower() if lower else s
    s = re.sub(r"\s+", " ", s).strip(_END_PUNCT)
    without_articles = re.sub(r"\s+", " ", _ARTICLE_RE.sub(" ", s)).strip(_END_PUNCT)
    return without_articles or s  # the answer "A" is a letter, not an article


_MAX_LITERAL = 100  # characters in one number
_MAX_EXPONENT = 400  # |e| in "1e400": bigger ones would build huge integers (1e999999999)
_MAX_NUMBERS = 256  # numbers in one text: an answer states one; "1/1/1/..." x 50k must not cost 25k Fractions


def _to_fraction(literal: str) -> Fraction:
    """Exact value of one number literal; ``ValueError`` for absurd sizes (a model can write anything)."""
    literal = literal.replace(",", "")
    mantissa, _, exponent = literal.lower().partition("e")
    if len(literal) > _MAX_LITERAL or (exponent and abs(int(exponent)) > _MAX_EXPONENT):
        raise ValueError(f"number literal too large to grade: {literal[:40]}...")
    return Fraction(literal)


def _replace_latex_fracs(text: str) -> str:
    r"""Turn ``\frac{a}{b}`` with numeric parts into ``a/b`` (sign moved in front); leave others alone."""

    def repl(m: re.Match[str]) -> str:
        num, den = (m.group(1) or m.group(2)).strip(), (m.group(3) or m.group(4)).strip()
        try:
            value = _to_fraction(num) / _to_fraction(den)
        except (ValueError, ZeroDivisionError):
            return m.group(0)  # not a plain number: the leftover backslash makes the parse fail
        return f"{value.numerator}/{value.denominator}"

    return _FRAC_RE.sub(repl, text)


def _leftover_is_expression(leftover: str) -> bool:
    if any(ch.isdigit() or ch in _OPERATOR_CHARS for ch in leftover):
        return True
    words = re.findall(r"[^\W\d_]+", leftover.lower())
    return any(w in _OPERATOR_WORDS for w in words)


def parse_numbers(text: str | None) -> tuple[list[Number], str] | None:
    r"""Find every number in ``text``; return them with the text left over, or ``None`` on bad input.

    Recognizes signs (also the Unicode minus), thousands separators ("1,024"), decimals, exponents
    ("2e3", "2 \times 10^{3}"), fractions ("1/2", "\frac{1}{2}"), and percents ("50%"). Units and words
    stay in the leftover text. ``None`` when ``text`` is ``None``, a fraction divides by zero, a number
    is absurdly long (over 100 characters, or an exponent beyond 400), or the text holds more than 256
    numbers (an answer states one; the cap keeps degenerate output cheap to grade).

    Examples:
        >>> nums, rest = parse_numbers("1,024 px")
        >>> [str(n.value) for n in nums], rest.strip()
        (['1024'], 'px')
        >>> [str(n.value) for n in parse_numbers(r"-\frac{1}{2}")[0]]
        ['-1/2']
    """
    if text is None:
        return None
    s = strip_latex(str(text))
    s = _TIMES_TEN_RE.sub(r"\1e\2", s)
    s = _replace_latex_fracs(s)
    numbers: list[Number] = []
    try:
        for k, m in enumerate(_NUMBER_RE.finditer(s)):
            if k == _MAX_NUMBERS:
                return None
            value = _to_fraction(m.group("num"))
            if m.group("den"):
                value /= _to_fraction(m.group("den"))
            if m.group("sign") == "-":
                value = -value
            numbers.append(Number(value, bool(m.group("pct"))))
    except (ZeroDivisionError, ValueError):
        return None
    return numbers, _NUMBER_RE.sub(" ", s)


def parse_number(text: str | None, multiple: str = "reject") -> Number | None:
    r"""Parse the one number that ``text`` states; ``None`` when it states none (never raises).

    Args:
        text: The extracted answer, for example ``"12 cm"``, ``"50%"``, ``"\frac{1}{2}"``.
        multiple: What to do when the text holds several numbers. ``"reject"`` (default): the text must be
            a single number plus units or words; several *different* numbers, leftover digits or an
            operator ("2^2", "\sqrt{2}") give ``None``. ``"first"`` / ``"last"``: take that number.

    Examples:
        >>> parse_number("3.5s")
        Number(value=Fraction(7, 2), percent=False)
        >>> parse_number("3 or 4") is None
        True
        >>> parse_number("3 or 4", multiple="last").value
        Fraction(4, 1)
        >>> parse_number("x = 3, so 3").value
        Fraction(3, 1)
        >>> parse_number("2^2") is None
        True
    """
    if multiple not in ("reject", "first", "last"):
        raise ValueError(f"multiple={multiple!r} is not one of 'reject', 'first', 'last'")
    parsed = parse_numbers(text)
    if not parsed or not parsed[0]:
        return None
    numbers, leftover = parsed
    if multiple == "first":
        return numbers[0]
    if multiple == "last":
        return numbers[-1]
    if len(set(numbers)) > 1 or _leftover_is_expression(leftover):
        return None
    return numbers[0]
