"""Table-driven cases for the rule graders: choice, exact, numeric, and the number parser."""

from fractions import Fraction

import pytest

from pyvision_envs.rewards import (
    choice,
    exact,
    normalize,
    normalize_text,
    numeric,
    parse_choice,
    parse_number,
)

OPTIONS = ["a red circle", "the blue square", "green triangle", "yellow star"]

# --- choice -----------------------------------------------------------------------------------------

CHOICE_CASES = [
    # (prediction, answer, choices, expected)
    ("B", "B", None, 1.0),
    ("(B)", "B", None, 1.0),
    ("[B]", "B", None, 1.0),
    ("B.", "B", None, 1.0),
    ("B)", "B", None, 1.0),
    ("B) blue square", "B", None, 1.0),
    ("B: the blue square", "B", None, 1.0),
    ("B. blue square", "B", None, 1.0),
    ("(B) blue square", "B", None, 1.0),
    ("b", "B", None, 1.0),
    ("Option B", "B", None, 1.0),
    ("option: b", "B", None, 1.0),
    ("Answer: (B)", "B", None, 1.0),
    ("The answer is B", "B", None, 1.0),
    ("**B**", "B", None, 1.0),
    (r"\text{B}", "B", None, 1.0),
    ("  B  ", "(B)", None, 1.0),
    ("C", "B", None, 0.0),
    ("(C) green triangle", "B", None, 0.0),
    ("B and C", "B", None, 0.0),
    ("B or C", "B", None, 0.0),
    ("(B", "B", None, 0.0),
    ("", "B", None, 0.0),
    (None, "B", None, 0.0),
    ("blue square", "B", None, 0.0),  # option text without choices: no way to know
    # with choices: option text counts, in either role
    ("the blue square", "B", OPTIONS, 1.0),
    ("Blue Square.", "B", OPTIONS, 1.0),
    ("B", "the blue square", OPTIONS, 1.0),
    ("blue square", "blue square", OPTIONS, 1.0),
    ("green triangle", "B", OPTIONS, 0.0),
    ("E", "B", OPTIONS, 0.0),  # a letter beyond the options picks nothing
    ("B) green triangle", "B", OPTIONS, 0.0),  # letter and text disagree
    ("B) blue squares", "B", OPTIONS, 1.0),  # text names no option: the letter decides
    ("a red circle", "A", OPTIONS, 1.0),  # the article is not option A
    ("a cat", "A", None, 0.0),
]


@pytest.mark.parametrize("prediction, answer, choices, expected", CHOICE_CASES)
def test_choice(prediction, answer, choices, expected):
    assert choice(prediction, answer, choices=choices) == expected


def test_choice_and_exact_refuse_a_string_where_a_list_belongs():
    with pytest.raises(ValueError, match="list of option texts"):
        choice("B", "B", choices="ABCD")
    with pytest.raises(ValueError, match="list of strings"):
        exact("x", "y", aliases="xyz")


def test_choice_ambiguous_option_text_picks_nothing():
    assert parse_choice("cat", ["cat", "a cat"]) is None


@pytest.mark.parametrize("answer, choices", [("blue circle", OPTIONS), ("the answer", None), ("", None)])
def test_choice_bad_answer_raises_naming_it(answer, choices):
    with pytest.raises(ValueError, match="answer"):
        choice("B", answer, choices=choices)


# --- exact ------------------------------------------------------------------------------------------

EXACT_CASES = [
    ("Paris", "paris", 1.0),
    ("  Paris. ", "Paris", 1.0),
    ("The Eiffel Tower", "eiffel tower", 1.0),
    ("an apple", "apple", 1.0),
    ('"yes"', "Yes", 1.0),
    ("red   square", "red square", 1.0),
    (r"\text{red}", "red", 1.0),
    (r"\textbf{\text{Red}}", "red", 1.0),  # nested wrappers
    (r"$\mathrm{left}$", "left", 1.0),
    (r"\frac{1}{2}", r"\dfrac{1}{2}", 1.0),  # same LaTeX spelled two ways
    (r"\frac{1}{2}", "1/2", 0.0),  # exact does not do arithmetic: that is the numeric grader
    ("red car", "red", 0.0),
    ("theatre", "atre", 0.0),  # only whole-word articles are dropped
    ("A", "a", 1.0),  # a lone letter is not an article
    ("The", "the", 1.0),
    ("", "red", 0.0),
    (None, "red", 0.0),
    ("...", "", 0.0),  # nothing left after normalization never matches
]


@pytest.mark.parametrize("prediction, answer, expected", EXACT_CASES)
def test_exact(prediction, answer, expected):
    assert exact(prediction, answer) == expected


def test_exact_aliases_and_case():
    assert exact("NYC", "New York City", aliases=["nyc"]) == 1.0
    assert exact("Red", "red", case_sensitive=True) == 0.0
    assert exact("The Red", "Red", case_sensitive=True) == 1.0


def test_normalize_text_strips_latex_and_punctuation():
    assert normalize_text(r"  $\text{The}\ \textit{Blue}$ Square!? ") == "blue square"


# --- numeric ----------------------------------------------------------------------------------------

NUMERIC_CASES = [
    ("12", "12", 1.0),
    ("12 cm", "12", 1.0),
    ("12cm", "12 cm", 1.0),
    ("1,024", "1024", 1.0),
    ("1,024 px", "1,024", 1.0),
    ("3.5s", "3.5", 1.0),
    ("1/2", "0.5", 1.0),
    (r"\frac{1}{2}", "0.5", 1.0),
    (r"\dfrac{3}{4}", "3/4", 1.0),
    (r"-\frac{1}{2}", "-0.5", 1.0),
    (r"\frac{-1}{2}", "-1/2", 1.0),
    ("50%", "50", 1.0),
    ("50%", "0.5", 1.0),
    ("0.5", "50%", 1.0),
    (r"50\%", "50", 1.0),
    ("-3", "-3", 1.0),
    ("−3", "-3", 1.0),  # Unicode minus
    ("-3", "3", 0.0),
    ("2e3", "2000", 1.0),
    (r"2 \times 10^{3}", "2000", 1.0),
    ("3.0", "3", 1.0),
    ("x = 7", "7", 1.0),
    ("7 apples", "7", 1.0),
    ("7, so 7", "7", 1.0),  # the same number twice is one number
    (r"12\,345", "12345", 1.0),
    (r"\text{12}\ \mathrm{cm}", "12", 1.0),
    ("90°", "90", 1.0),
    (r"90^{\circ}", "90", 1.0),
    # wrong or unreadable
    ("13", "12", 0.0),
    ("3 or 4", "4", 0.0),  # several different numbers
    ("between 3 and 4", "3", 0.0),
    ("3-4", "3", 0.0),
    ("1,2", "1", 0.0),  # a list, not a thousands separator
    ("2^2", "2", 0.0),  # an expression, not the number 2
    (r"\frac{\sqrt{2}}{2}", "2", 0.0),
    (r"\sqrt{4}", "4", 0.0),
    ("3pi", "3", 0.0),
    ("x2", "2", 0.0),
    ("1/0", "0", 0.0),
    ("three", "3", 0.0),
    ("", "3", 0.0),
    (None, "3", 0.0),
    ("nan", "3", 0.0),
    ("inf", "3", 0.0),
]


@pytest.mark.parametrize("prediction, answer, expected", NUMERIC_CASES)
def test_numeric(prediction, answer, expected):
    assert numeric(prediction, answer) == expected


def test_numeric_parses_only_the_prediction_string():
    # The released scorer took the first number of the whole response; here a stray number in the
    # prediction makes it wrong rather than silently picking one.
    assert numeric("step 1 gives 42", "42") == 0.0
    assert numeric("step 1 gives 42", "42", multiple="last") == 1.0
    assert numeric("step 1 gives 42", "1", multiple="first") == 1.0


@pytest.mark.parametrize(
    "prediction, answer, kwargs, expected",
    [
        ("10.4", "10", {"rel_tol": 0.05}, 1.0),
        ("10.6", "10", {"rel_tol": 0.05}, 0.0),
        ("0.0004", "0", {"abs_tol": 1e-3}, 1.0),
        ("0.0004", "0", {}, 0.0),
        ("0.333", "1/3", {}, 0.0),
        ("0.333", "1/3", {"rel_tol": 0.01}, 1.0),
    ],
)
def test_numeric_tolerances(prediction, answer, kwargs, expected):
    assert numeric(prediction, answer, **kwargs) == expected


def test_numeric_bad_answer_or_options_raise():
    with pytest.raises(ValueError, match="'twelve' is not a single number"):
        numeric("12", "twelve")
    with pytest.raises(ValueError, match="tolerances"):
        numeric("12", "12", rel_tol=-1)
    with pytest.raises(ValueError, match="multiple"):
        numeric("12", "12", multiple="any")


def test_parse_number_is_exact():
    assert parse_number("1/3").value == Fraction(1, 3)
    assert parse_number("0.1").value == Fraction(1, 10)
    assert parse_number("50%").percent is True


# --- hostile input ----------------------------------------------------------------------------------

HOSTILE = [
    "1" * 100_000,  # more digits than int() converts
    "1e999999999",  # would build a gigantic integer
    "1e400",
    "\\text{" * 20_000 + "a" + "}" * 20_000,  # deep nesting
    "\\text{" * 50_000,  # unbalanced
    "}" * 100_000,
    "(" * 50_000,
    "1/" * 50_000 + "1",
    "\\frac{" * 3_000 + "1}{2}" * 3_000,
    "\x00\ud800 \u2212",
]


@pytest.mark.timeout(60)  # a hang guard only: the bound under test is the count of numbers built below
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_graders_never_raise_or_hang_on_hostile_predictions(text, monkeypatch):
    built = []  # every number literal the graders turn into a Fraction (the costly step)
    real = normalize._to_fraction
    monkeypatch.setattr(normalize, "_to_fraction", lambda literal: built.append(literal) or real(literal))
    for grade_fn in (choice, exact, numeric):
        assert grade_fn(text, "A" if grade_fn is choice else "1") in (0.0, 1.0)
    # at most the capped numbers of the prediction, each with a denominator, plus the answer's: "1/" x 50k
    # built 50,002 Fractions before the cap (513 now)
    assert len(built) <= 2 * (normalize._MAX_NUMBERS + 1) + 2


def test_a_text_with_more_numbers_than_the_cap_is_not_a_number():
    at_cap = " ".join(["7"] * normalize._MAX_NUMBERS)
    assert len(normalize.parse_numbers(at_cap)[0]) == normalize._MAX_NUMBERS
    assert normalize.parse_numbers(at_cap + " 7") is None
    assert parse_number(at_cap, multiple="last").value == 7 and parse_number(at_cap + " 7", multiple="last") is None
    assert numeric("1/" * 50_000 + "1", "1") == 0.0


def test_huge_numbers_compare_exactly():
    assert numeric("1e400", "1e400") == 1.0
    assert numeric("1e300", "1e301") == 0.0
