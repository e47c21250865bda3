r"""The PyVision text protocol: parse one model turn, render the environment's replies (SPEC section 2).

A turn is either code to run, a final answer, or malformed:

>>> parse_action("<code>\n```python\nprint(1)\n```\n</code>")
Code(code='print(1)\n', well_formed=True)
>>> parse_action("<answer>\n\\boxed{\\frac{1}{2}}\n</answer>")
Answer(text='\\frac{1}{2}', well_formed=True)
>>> parse_action("I think it is red.")
Malformed(reason='no <code> block and no <answer> found')

The environment's reply to code is an ``<interpreter>`` message (:func:`render_result`); the first message of an
episode is the task prompt (:func:`image_prompt`, :func:`video_prompt`). The writer's side sits beside the reader:
:func:`code_turn` and :func:`answer_turn` lay a turn out exactly as the strict parser wants it, and policies stop
generating on :data:`STOP_STRINGS`.

>>> parse_action(code_turn("print(1)")) == Code("print(1)\n")
True
>>> parse_action(answer_turn("7"))
Answer(text='7', well_formed=True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image

from pyvision_envs.types import ExecutionResult, Observation


@dataclass(frozen=True)
class Code:
    """A turn that asks to run Python. ``well_formed``: the block sat inside ``<code>...</code>`` tags."""

    code: str
    well_formed: bool = True


@dataclass(frozen=True)
class Answer:
    r"""A final answer. ``text`` is the content of ``\boxed{}``; ``well_formed``: the exact original layout."""

    text: str
    well_formed: bool = True


@dataclass(frozen=True)
class Malformed:
    """A turn the environment could not read, with the reason (fed back to the model as a format hint)."""

    reason: str


Action = Code | Answer | Malformed

MAX_ACTION_CHARS = 262_144
"""Longest turn :func:`parse_action` reads (256 Ki characters, about 64k tokens); a longer one is malformed."""

_FENCE_HEAD = re.compile(r"(?P<lang>[A-Za-z0-9_+-]*)[ \t]*\n")
_CLOSE_AFTER = re.compile(r"\s*(?:</code>|\Z)")
_STRICT_ANSWER = re.compile(r"<answer>\n\\boxed\{(?P<body>.*)\}\n</answer>", re.DOTALL)
_BOXED = re.compile(r"\\boxed\s*\{")
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character, or a brace that counts


def extract_boxed(text: str) -> str | None:
    r"""Return the content of the last ``\boxed{...}`` in ``text``, braces balanced; ``None`` if there is none.

    Backslash-escaped braces (``\{``, ``\}``) do not count towards the balance. One pass over the text: each
    brace is matched once on a stack, so hostile input (``"\\boxed{" * 100000``) costs linear time.

    >>> extract_boxed(r"so \boxed{\frac{1}{2}} it is")
    '\\frac{1}{2}'
    >>> extract_boxed(r"\boxed{a} then \boxed{\{b\}}")
    '\\{b\\}'
    >>> extract_boxed(r"\boxed{unclosed") is None
    True
    """
    opens = {m.end() - 1 for m in _BOXED.finditer(text)}  # where the "{" of each \boxed sits
    if not opens:
        return None
    stack: list[int] = []
    best: tuple[int, int] | None = None  # (open, close) of the latest-opening \boxed that closes
    for tok in _BRACE_TOKEN.finditer(text):
        if tok.group() == "{":
            stack.append(tok.start())
        elif tok.group() == "}" and stack:
            start = stack.pop()
            if start in opens and (best is None or start > best[0]):
                best = (start, tok.start())
    return text[best[0] + 1 : best[1]] if best else None


def _fences(text: str) -> Iterator[tuple[int, str, str, int]]:
    r"""``(start, lang, body, end)`` of each ```` ```lang\n...``` ```` fence, in order; linear time."""
    pos = text.find("```")
    while pos != -1:
        head = _FENCE_HEAD.match(text, pos + 3)
        if head is None:
            pos = text.find("```", pos + 1)
            continue
        close = text.find("```", head.end())
        if close == -1:
            return  # no later fence can close either
        yield pos, head.group("lang"), text[head.end() : close], close + 3
        pos = text.find("```", close + 3)


def _after_open_tag(text: str, start: int) -> bool:
    """Whether ``text[:start]`` ends with ``<code>`` and whitespace (the whitespace is walked once per fence)."""
    i = start
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return i >= 6 and text.startswith("<code>", i - 6)


def _tagged_plain(text: str) -> Iterator[tuple[int, str]]:
    """``(start, body)`` of each ``<code>...</code>`` holding no fence; the next-tag positions only move forward."""
    n = len(text)
    close = fence = -1
    pos = text.find("<code>")
    while pos != -1:
        body = pos + 6
        if close < body:
            close = text.find("</code>", body)
            if close == -1:
                return
        if fence < body:
            fence = text.find("```", body)
            fence = n if fence == -1 else fence
        if fence < close:  # a fence inside: not this layout; try the next <code>
            pos = text.find("<code>", pos + 1)
            continue
        yield pos, text[body:close]
        pos = text.find("<code>", close + 7)


def _code_blocks(text: str, strict: bool) -> list[Code]:
    """All runnable code blocks in order of appearance."""
    blocks: list[tuple[int, Code]] = []
    for start, lang, body, end in _fences(text):
        if lang.lower() not in ("python", "py", "python3", ""):
            continue
        tagged = _after_open_tag(text, start)
        closed = _CLOSE_AFTER.match(text, end) is not None
        if strict and not (tagged and closed and lang):
            continue
        if not tagged and not lang:
            continue  # an untagged, unlabelled fence is prose, not code
        blocks.append((start, Code(body, well_formed=tagged and closed)))
    if not strict:  # tolerate <code>...</code> with the fences forgotten
        blocks += [(start, Code(body.strip("\n") + "\n", False)) for start, body in _tagged_plain(text)]
    return [code for _, code in sorted(blocks, key=lambda pair: pair[0])]


def _last_answer(text: str) -> tuple[str, str] | None:
    """``(block, body)`` of the last ``<answer>...</answer>`` (or ``<answer>...`` to the end); None if none."""
    last, pos = None, text.find("<answer>")
    while pos != -1:
        end = text.find("</answer>", pos + 8)
        if end == -1:
            return text[pos:], text[pos + 8 :]
        last = (pos, end)
        pos = text.find("<answer>", end + 9)
    return (text[last[0] : last[1] + 9], text[last[0] + 8 : last[1]]) if last else None


def _parse_answer(text: str, strict: bool) -> Answer | Malformed | None:
    found = _last_answer(text)
    if found is None:
        if strict or next(_fences(text), None) is not None or "<code>" in text:
            return None
        boxed = extract_boxed(text)  # a bare \boxed{} with no code: read it, but not as well-formed
        return Answer(boxed.strip(), well_formed=False) if boxed and boxed.strip() else None
    block, body = found
    exact = _STRICT_ANSWER.fullmatch(block)
    boxed = extract_boxed(body)
    if exact and boxed is not None and boxed == exact.group("body"):
        return Answer(boxed.strip(), well_formed=True) if boxed.strip() else Malformed("empty \\boxed{} answer")
    if strict:
        return Malformed("the answer must be exactly <answer>\\n\\boxed{...}\\n</answer>")
    if "\\boxed" in body and boxed is None:
        return Malformed("unbalanced braces in \\boxed{...}")
    if boxed is None and not block.endswith("</answer>"):
        return None  # "<answer>" mentioned in passing, never closed and nothing boxed: not an answer
    content = (boxed if boxed is not None else body).strip()
    return Answer(content, well_formed=False) if content else Malformed("empty <answer>")


def parse_action(text: str, strict: bool = False, max_chars: int = MAX_ACTION_CHARS) -> Action:
    r"""Read one model turn, in time linear in its length.

    Args:
        text: The full text of the turn.
        strict: Accept only the original layout: code fenced as ```` ```python ```` inside ``<code>...</code>``,
            and the answer as exactly ``<answer>\n\boxed{...}\n</answer>``. A missing ``</code>`` at the very
            end of the turn is accepted in both modes, because samplers often cut the stop string off.
        max_chars: A longer turn is not read at all: it is :class:`Malformed`, with its length in the reason.

    Returns:
        :class:`Answer` if the turn gives an answer (an answer wins over code in the same turn), else
        :class:`Code` holding the last code block, else :class:`Malformed` with the reason.

    >>> parse_action("```python\nx = 1\n```\n```python\nprint(x)\n```")
    Code(code='print(x)\n', well_formed=False)
    >>> parse_action("```python\nprint(2)\n```", strict=True)
    Malformed(reason='no <code> block and no <answer> found')
    >>> parse_action("x" * 11, max_chars=10)
    Malformed(reason='the turn is 11 characters long, over the limit of 10; write a shorter turn')
    """
    if not isinstance(text, str):
        raise TypeError(f"an action must be the str text of one model turn, got {type(text).__name__}")
    if len(text) > max_chars:
        return Malformed(f"the turn is {len(text):,} characters long, over the limit of {max_chars:,}; "
                         "write a shorter turn")
    answer = _parse_answer(text, strict)
    if answer is not None:
        return answer
    blocks = _code_blocks(text, strict)
    if not blocks:
        if "```" in text and text.count("```") % 2 == 1:
            return Malformed("a ``` code fence was opened but never closed")
        return Malformed("no <code> block and no <answer> found")
    last = blocks[-1]
    if not last.code.strip():
        return Malformed("the code block is empty")
    return last


def _image_marker(name: str) -> str:
    return f"<{name}><image></{name}>"


def render_result(result: ExecutionResult, first_index: int, timeout_s: float | None = None) -> Observation:
    """Render a sandbox result as the next user message, exactly in the ``<interpreter>`` layout of SPEC 2.

    Args:
        result: What the code produced.
        first_index: ``k`` of the first new figure when the sandbox did not report names (``image_clue_k``).
        timeout_s: The time limit, quoted when the call timed out.
    """
    parts = [result.stdout]
    if result.state_lost:
        parts.insert(0, "Note: the Python state was lost before this call (the previous worker was stopped), so "
                        "variables from earlier calls are gone; the images image_clue_* are bound again.\n")
    if result.timed_out:
        limit = f" of {timeout_s:g} s" if timeout_s else ""
        parts.append(f"\nError: the code ran past the time limit{limit} and was stopped. Variables from earlier "
                     "calls will be lost; images stay bound.")
    elif result.error:
        parts.append(("\n" if result.stdout and not result.stdout.endswith("\n") else "") + f"Error:\n{result.error}")
    text = "<interpreter>\nText Result:\n" + "".join(parts)
    if result.images:
        names = result.image_names or tuple(f"image_clue_{first_index + i}" for i in range(len(result.images)))
        text += "\nImage Result:\n" + "".join(_image_marker(n) for n in names) + "</interpreter>"
    else:
        text += "\n</interpreter>"
    return Observation(text=text, images=tuple(result.images))


def format_hint(reason: str) -> Observation:
    """The reply to a malformed turn: what was wrong and the two accepted layouts."""
    return Observation(
        text=f"Your last turn could not be read: {reason}.\nTo run Python, write\n" + CODE_LAYOUT
        + "\nTo give the final answer, write\n" + ANSWER_LAYOUT
    )


CODE_OPEN = "<code>\n```python\n"
"""What a code turn starts with (a single token of the ``tiny`` tokenizer)."""
CODE_CLOSE = "\n```\n</code>"
"""What a code turn ends with."""
ANSWER_OPEN = "<answer>\n\\boxed{"
"""What an answer turn starts with."""
ANSWER_CLOSE = "}\n</answer>"
"""What an answer turn ends with."""
STOP_STRINGS = ("</code>", "</answer>")
"""A policy's turn ends at the first of these (the environment then runs the code or grades the answer)."""
CODE_LAYOUT = CODE_OPEN + "# your code" + CODE_CLOSE
ANSWER_LAYOUT = ANSWER_OPEN + "your final answer" + ANSWER_CLOSE


def code_turn(code: str) -> str:
    r"""The text of a code turn in the PyVision protocol.

    >>> code_turn("x = 1\n")
    '<code>\n```python\nx = 1\n```\n</code>'
    """
    return f"{CODE_OPEN}{code.strip()}{CODE_CLOSE}"


def answer_turn(answer: str) -> str:
    r"""The text of a final-answer turn in the PyVision protocol.

    >>> answer_turn("7")
    '<answer>\n\\boxed{7}\n</answer>'
    """
    return f"{ANSWER_OPEN}{answer}{ANSWER_CLOSE}"


_TOOLS = (
    "How to use Python:\n"
    "- Write at most one code block per turn, laid out exactly like this:\n" + CODE_LAYOUT + "\n"
    "- The code runs when your turn ends, and the result comes back to you. Variables persist between turns.\n"
    "- Use print() to see values; they come back as text.\n"
    "- plt.show() displays the open matplotlib figures (show(img) displays a PIL image or array). Each one comes "
    "back to you as an image and is bound in Python as the next image_clue_k.\n"
    "- np (numpy), plt (matplotlib.pyplot) and Image (PIL.Image) are ready to use; files cannot be read or "
    "written.\n"
    "When you know the answer, end with it in exactly this layout:\n" + ANSWER_LAYOUT + "\n"
)
# The same protocol in about a fifth of the tokens (``prompt="brief"``): for small policies that learn the layout
# in a cold start, where every prompt token is paid again in each turn's prefill and in the loss forward.
_TOOLS_BRIEF = "Python: " + CODE_LAYOUT + " runs; print() output comes back. Answer: " + ANSWER_LAYOUT + "\n"
PROMPT_STYLES = ("full", "brief")
"""Wordings of the first message: ``full`` (the PyVision prompt) or ``brief`` (the layout only)."""


def image_prompt(question: str, images: Sequence[Image.Image], image_in_context: bool = True,
                 brief: bool = False) -> Observation:
    """The first user message of an image episode (our wording of the PyVision prompt).

    Args:
        question: The question, choices included.
        images: The input images, bound in Python as ``image_clue_0..n``.
        image_in_context: Show the images in this message as well (default); if False they are only bound
            in Python, so the policy must use code to look.
        brief: The layout-only wording (``prompt="brief"``): one line per image and the two layouts.
    """
    n = len(images)
    if brief:
        lines = [f"image_clue_{i}: PIL RGB {im.width}x{im.height}. "
                 + (_image_marker(f"image_clue_{i}") if image_in_context else "(in Python only)")
                 for i, im in enumerate(images)]
        text = "\n".join(lines) + "\n" + _TOOLS_BRIEF + "Question: " + question
        return Observation(text=text, images=tuple(images) if image_in_context else ())
    lines = [f"Answer a question about {'an image' if n == 1 else f'{n} images'}. You may think step by step "
             "and write Python code to inspect the images: crop, zoom, enhance, measure, plot."]
    lines.append("Each image is loaded in Python as a PIL image (RGB) in the global variable image_clue_i:")
    for i, im in enumerate(images):
        marker = _image_marker(f"image_clue_{i}") if image_in_context else "(not shown here: use code to look at it)"
        lines.append(f"- image_clue_{i}: width {im.width}, height {im.height} pixels. {marker}")
    text = "\n".join(lines) + "\n\n" + _TOOLS + "\nQuestion: " + question
    return Observation(text=text, images=tuple(images) if image_in_context else ())


def video_prompt(question: str, width: int, height: int, n_frames: int, fps: float, brief: bool = False
                 ) -> Observation:
    """The first user message of a video episode: no frames, only the facts needed to sample them (SPEC 2).

    ``brief``: the layout-only wording (``prompt="brief"``).
    """
    duration = n_frames / fps if fps > 0 else 0.0
    if brief:
        return Observation(text=f"video_clue_0: decord-style VideoReader, {n_frames} frames, {width}x{height}, "
                                f"{fps:g} fps; video_clue_0[i] is an H x W x 3 uint8 array.\n"
                                + _TOOLS_BRIEF + "Question: " + question)
    text = (
        "Answer a question about a video. No frames are shown to you up front: look at the ones you need.\n"
        f"The video is loaded in Python as video_clue_0 (a decord-style VideoReader): {n_frames} frames, "
        f"width {width}, height {height} pixels, {fps:g} frames per second ({duration:.1f} s).\n"
        "len(video_clue_0) is the frame count, video_clue_0[i] is frame i as an H x W x 3 uint8 array, "
        "video_clue_0.get_batch([i, j, ...]) returns several frames, video_clue_0.get_avg_fps() the frame rate. "
        "Plot the frames you choose and call plt.show() to see them.\n\n" + _TOOLS + "\nQuestion: " + question
    )
    return Observation(text=text)
