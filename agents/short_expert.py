"""A scripted expert whose programs are short enough for a 1M-parameter policy to learn on a CPU (agent ``short-expert``).

The repository's ``expert`` writes general pixel-level programs: a 60-line prelude of helpers plus family code,
about 1,000 tokens per code turn. A tiny policy cannot learn to write that within the main job's minutes on two
CPU cores. This expert solves the **visual search** families (``PyVision/VisualSearch-*``, ``PyVision/VisualSearchMix-*``) with one of two short
programs (about 180 and 210 tokens) that share their first lines:

1. find the target: the only object drawn in one of the ten key colours the family uses (``tasks/draw.py``);
2. position questions: print its quadrant as the option text (``top-left`` ...); shape questions: classify it by
   how much of its bounding box it fills and by its bottom row, and print the shape (``circle`` ...).

It then answers with the printed word, which the ``choice`` grader accepts as the option's text. So the policy
must pick the program that fits the question, write it without a slip, and copy the tool's answer: the answer
always comes from reading the tool output. Other families get a blind guess (as the ``expert`` does when it has
no program). It is a variant of :class:`~agents.experts.ExpertAgent` (its own programs and answer reading),
registered as the ``short-expert`` plug-in (the ``pyvision_rl.agents`` entry point in ``pyproject.toml``):
``record_episodes(..., agent="short-expert")``, ``--agent short-expert`` on any command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agents.experts import ExpertAgent
from pyvision_envs.tasks.draw import COLORS

KEY_COLORS = tuple(tuple(c) for c in COLORS.values())
"""The visual search family's key colours, in the order the program tries them."""

FIND = (
    "a = np.asarray(image_clue_0)\n"
    f"for c in {list(KEY_COLORS)}:\n"
    "    ys, xs = np.nonzero(np.all(a == c, axis=-1))\n"
    "    if len(ys):\n"
    "        break\n"
)
POSITION = FIND + ('print(("bottom" if 2 * ys[0] > a.shape[0] else "top") + '
                   '("-right" if 2 * xs[0] > a.shape[1] else "-left"))')
SHAPE = FIND + ("f = len(ys) / (np.ptp(ys) + 1) / (np.ptp(xs) + 1)\n"
                'print("square" if f > 0.9 else "circle" if f > 0.68 else "triangle" '
                'if sum(ys == ys.max()) > 4 else "diamond")')
_RESULT = re.compile(r"Text Result:\n(\S+)")


def program(public: Mapping[str, Any]) -> str | None:
    """The short program for a visual search task's public facts, or None for anything else."""
    qtype = public.get("question_type")
    if qtype == "position":
        return POSITION
    if qtype == "shape":
        return SHAPE
    return None


class ShortExpert(ExpertAgent):
    """Turn 1: the short program for the question; turn 2: the word it printed (else a blind guess).

    Args:
        seed: Seed of the blind fallback guess.
    """

    def __init__(self, seed: int = 0, retries: int = 1) -> None:
        super().__init__(show_frames=0, seed=seed, retries=retries)

    def _code(self) -> str | None:
        return program(self.public) if self.family in ("visual_search", "visual_search_mix") else None

    def _read(self, text: str) -> str | None:
        found = _RESULT.findall(text or "")
        return found[-1] if found and "Error" not in found[-1] else None
