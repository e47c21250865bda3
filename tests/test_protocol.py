import doctest
import sys

import pytest
from PIL import Image

from pyvision_envs import protocol
from pyvision_envs.protocol import Answer, Code, Malformed, extract_boxed, parse_action, render_result
from pyvision_envs.types import ExecutionResult

TAGGED = "<code>\n```python\n{}\n```\n</code>"
EXACT_ANSWER = "<answer>\n\\boxed{{{}}}\n</answer>"


def test_doctests():
    assert doctest.testmod(protocol).failed == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        (TAGGED.format("print(1)"), Code("print(1)\n", True)),
        ("Let me look.\n" + TAGGED.format("x = 2\nprint(x)"), Code("x = 2\nprint(x)\n", True)),
        # the last block runs
        (TAGGED.format("a = 1") + "\nthen\n" + TAGGED.format("b = 2"), Code("b = 2\n", True)),
        # bare fences are accepted (not well-formed) in the default, lenient mode
        ("```python\nprint(3)\n```", Code("print(3)\n", False)),
        ("```py\nprint(3)\n```", Code("print(3)\n", False)),
        # the stop string `</code>` may be cut off by the sampler
        ("<code>\n```python\nprint(4)\n```", Code("print(4)\n", True)),
        # fences forgotten inside tags
        ("<code>\nprint(5)\n</code>", Code("print(5)\n", False)),
        # a non-Python fence is prose
        ("```json\n{}\n```", Malformed("no <code> block and no <answer> found")),
        ("```\nprint(6)\n```", Malformed("no <code> block and no <answer> found")),
        (EXACT_ANSWER.format("B"), Answer("B", True)),
        (EXACT_ANSWER.format("\\frac{1}{2}"), Answer("\\frac{1}{2}", True)),
        (EXACT_ANSWER.format("{a}{b}"), Answer("{a}{b}", True)),
        ("Thinking...\n" + EXACT_ANSWER.format("42 cm"), Answer("42 cm", True)),
        # answers win over code in the same turn
        (TAGGED.format("print(1)") + "\n" + EXACT_ANSWER.format("7"), Answer("7", True)),
        (EXACT_ANSWER.format("7") + "\n" + TAGGED.format("print(1)"), Answer("7", True)),
        # lenient layouts
        ("<answer>The answer is \\boxed{C}.</answer>", Answer("C", False)),
        ("<answer>C</answer>", Answer("C", False)),
        ("<answer>\n\\boxed{C}", Answer("C", False)),
        ("So the count is \\boxed{12}.", Answer("12", False)),
        ("<answer>\n\\boxed{\\frac{1}{2}\n</answer>", Malformed("unbalanced braces in \\boxed{...}")),
        ("<answer>\n\\boxed{}\n</answer>", Malformed("empty \\boxed{} answer")),
        ("<answer>  </answer>", Malformed("empty <answer>")),
        ("I will put it in <answer> tags later.\n" + TAGGED.format("print(1)"), Code("print(1)\n", True)),
        ("just words", Malformed("no <code> block and no <answer> found")),
        ("```python\nprint(1)\n", Malformed("a ``` code fence was opened but never closed")),
        (TAGGED.format("   "), Malformed("the code block is empty")),
    ],
)
def test_parse_lenient(text, expected):
    assert parse_action(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (TAGGED.format("print(1)"), Code("print(1)\n", True)),
        (EXACT_ANSWER.format("\\frac{1}{2}"), Answer("\\frac{1}{2}", True)),
        ("```python\nprint(3)\n```", Malformed("no <code> block and no <answer> found")),
        ("<code>\nprint(5)\n</code>", Malformed("no <code> block and no <answer> found")),
        # a sampler may cut the `</code>` stop string off the end of the turn: still the original layout
        ("<code>\n```python\nprint(4)\n```", Code("print(4)\n", True)),
        ("<code>\n```python\nprint(4)\n```\nmore text", Malformed("no <code> block and no <answer> found")),
        ("<answer>\\boxed{C}</answer>", Malformed("the answer must be exactly <answer>\\n\\boxed{...}\\n</answer>")),
        ("<answer>\n\\boxed{C} \n</answer>", Malformed("the answer must be exactly <answer>\\n\\boxed{...}\\n</answer>")),
        ("So the count is \\boxed{12}.", Malformed("no <code> block and no <answer> found")),
    ],
)
def test_parse_strict(text, expected):
    assert parse_action(text, strict=True) == expected


def test_parse_rejects_non_text():
    with pytest.raises(TypeError, match="str text of one model turn"):
        parse_action(b"<answer>x</answer>")


def test_extract_boxed_nested_and_escaped():
    assert extract_boxed("\\boxed{\\sqrt{\\frac{a}{b}}}") == "\\sqrt{\\frac{a}{b}}"
    assert extract_boxed("\\boxed {x}") == "x"
    assert extract_boxed("\\boxed{\\}}") == "\\}"
    assert extract_boxed("no box") is None


def _img(w, h):
    return Image.new("RGB", (w, h), (10, 20, 30))


def test_render_text_only_is_exact():
    obs = render_result(ExecutionResult(stdout="12\n"), first_index=1)
    assert obs.text == "<interpreter>\nText Result:\n12\n\n</interpreter>"
    assert obs.images == ()


def test_render_with_figures_is_exact_and_numbered():
    figs = (_img(5, 5), _img(6, 6))
    result = ExecutionResult(stdout="ok", images=figs, image_names=("image_clue_3", "image_clue_4"))
    obs = render_result(result, first_index=99)
    assert obs.text == (
        "<interpreter>\nText Result:\nok\nImage Result:\n"
        "<image_clue_3><image></image_clue_3><image_clue_4><image></image_clue_4></interpreter>"
    )
    assert obs.images == figs
    # without names from the sandbox, numbering continues from first_index
    unnamed = render_result(ExecutionResult(images=figs[:1]), first_index=2)
    assert "<image_clue_2><image></image_clue_2>" in unnamed.text


def test_render_error_timeout_and_lost_state():
    err = render_result(ExecutionResult(stdout="partial\n", error="NameError: name 'x' is not defined"), 1)
    assert err.text == ("<interpreter>\nText Result:\npartial\nError:\nNameError: name 'x' is not defined\n"
                        "</interpreter>")
    slow = render_result(ExecutionResult(timed_out=True, error="timeout"), 1, timeout_s=2.5)
    assert "time limit of 2.5 s" in slow.text and "Variables from earlier calls will be lost" in slow.text
    lost = render_result(ExecutionResult(stdout="1\n", state_lost=True), 1)
    assert "Python state was lost" in lost.text and lost.text.endswith("1\n\n</interpreter>")


def test_image_prompt_variants():
    images = [_img(640, 480), _img(32, 16)]
    shown = protocol.image_prompt("What colour?", images)
    assert shown.images == tuple(images)
    for needle in ("image_clue_0: width 640, height 480", "image_clue_1: width 32, height 16",
                   "<image_clue_0><image></image_clue_0>", "<image_clue_1><image></image_clue_1>",
                   "plt.show()", "print()", protocol.CODE_LAYOUT, protocol.ANSWER_LAYOUT, "Question: What colour?"):
        assert needle in shown.text
    hidden = protocol.image_prompt("What colour?", images, image_in_context=False)
    assert hidden.images == ()
    assert "<image>" not in hidden.text and "width 640, height 480" in hidden.text and "use code" in hidden.text


def test_brief_prompts_keep_the_facts_and_layouts_in_a_fraction_of_the_text():
    images = [_img(640, 480)]
    full = protocol.image_prompt("What colour?", images, image_in_context=False)
    brief = protocol.image_prompt("What colour?", images, image_in_context=False, brief=True)
    assert brief.images == () and len(brief.text) < len(full.text) / 3
    for needle in ("image_clue_0", "640x480", "in Python only", protocol.CODE_LAYOUT, protocol.ANSWER_LAYOUT,
                   "Question: What colour?"):
        assert needle in brief.text
    shown = protocol.image_prompt("What colour?", images, brief=True)
    assert shown.images == tuple(images) and "<image_clue_0><image></image_clue_0>" in shown.text
    video = protocol.video_prompt("How many?", width=320, height=240, n_frames=300, fps=30.0, brief=True)
    for needle in ("video_clue_0", "300 frames", "320x240", "30 fps", protocol.CODE_LAYOUT, protocol.ANSWER_LAYOUT):
        assert needle in video.text


def test_video_prompt_states_facts_and_shows_no_frames():
    obs = protocol.video_prompt("How many people?", width=320, height=240, n_frames=300, fps=30.0)
    assert obs.images == ()
    for needle in ("video_clue_0", "300 frames", "width 320, height 240", "30 frames per second", "10.0 s",
                   "get_batch", "get_avg_fps", "plt.show()", protocol.ANSWER_LAYOUT):
        assert needle in obs.text


def test_format_hint_names_reason_and_layouts():
    obs = protocol.format_hint("no <code> block and no <answer> found")
    assert "no <code> block" in obs.text and protocol.CODE_LAYOUT in obs.text and protocol.ANSWER_LAYOUT in obs.text


def test_written_turns_parse_back_strictly():
    """The writer (code_turn, answer_turn) and the reader (parse_action) agree, in strict mode too."""
    from pyvision_envs.protocol import STOP_STRINGS, answer_turn, code_turn

    assert parse_action(code_turn("  print(1)\n"), strict=True) == Code("print(1)\n")
    assert parse_action(answer_turn("B"), strict=True) == Answer("B")
    assert code_turn("x").endswith(STOP_STRINGS[0]) and answer_turn("x").endswith(STOP_STRINGS[1])


MB = 1 << 20
HOSTILE = {  # degenerate model output, each repeated to 1 MiB
    "nested-boxed": "\\boxed{",
    "nested-boxed-spaced": "\\boxed {{",
    "repeated-code-tag": "<code>",
    "repeated-fences": "```python\n",
    "tag-and-fence": "<code>\n```python\nx\n",
    "unclosed-answer": "<answer>\\boxed{",
    "escapes": "\\{\\boxed{\\}",
    "mixed": "<code>\\boxed{```py\n<answer>{",
}


def _calls(text, strict):
    """Parse ``text``, counting every function call it makes (str.find, regex matches, appends, ...) with a profile
    hook: a count of operations that load cannot change, and proportional to the work of every Python loop."""
    calls = 0

    def hook(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(hook)
    try:
        result = parse_action(text, strict=strict, max_chars=2 * MB)
    finally:
        sys.setprofile(None)
    assert isinstance(result, (Answer, Code, Malformed))
    return calls


# The time-out is a hang guard, not a timing: the work a regex or str.find does inside one C call is invisible
# to the profile hook (the old regex parser's "<code>" x 40000 made 13 calls and took 162 s), so for those shapes
# only it bounds what the call count cannot; a 1 MiB parse takes well under a second.
@pytest.mark.timeout(120)
@pytest.mark.parametrize("unit", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("strict", [False, True])
def test_hostile_megabyte_turns_parse_in_linear_time(unit, strict):
    small, big = (_calls(unit * (size // len(unit)), strict) for size in (MB // 16, MB))
    # 16 times the text: a linear parser makes about 16 times the calls (15.9 for nested \boxed{); the old
    # parser's Python brace loop made 256 times (1.0 M -> 263 M calls from 4 to 64 KiB)
    assert big <= 20 * small, f"{small:,} calls for 64 KiB but {big:,} for 1 MiB: the parser is not linear"


def test_hostile_turns_give_the_answers_the_rules_say():
    assert parse_action("\\boxed{" * 50_000, max_chars=MB) == Malformed("no <code> block and no <answer> found")
    nested = "\\boxed{" * 50_000 + "x" + "}" * 50_000
    assert parse_action(nested, max_chars=MB) == Answer("x", False)  # the last \boxed{} is the innermost
    assert extract_boxed("\\boxed{a" + nested[7:]) == "x"
    assert parse_action("<code>" * 50_000 + "print(1)</code>", max_chars=MB) == Code(
        "<code>" * 49_999 + "print(1)\n", False)
    assert parse_action("```python\nx = 1\n" * 50_000, max_chars=MB) == Code("x = 1\n", False)  # pairs close
    assert parse_action("```python\n" * 50_001, max_chars=MB) == Malformed("the code block is empty")
    fences = TAGGED.format("a = 1") * 20_000 + TAGGED.format("b = 2")
    assert parse_action(fences, max_chars=MB) == Code("b = 2\n", True)


def test_turns_over_the_cap_are_malformed_with_their_length():
    over = "<answer>\n\\boxed{7}\n</answer>" + " " * protocol.MAX_ACTION_CHARS
    assert parse_action(over) == Malformed(f"the turn is {len(over):,} characters long, over the limit of "
                                           f"{protocol.MAX_ACTION_CHARS:,}; write a shorter turn")
    assert parse_action(over, max_chars=len(over)) == Answer("7", True)
