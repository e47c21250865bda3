"""The no-tool guesser: answers at once, without looking, with a seeded blind guess.

It is the chance baseline of every task family: the family's most likely answer (``public["blind_guess"]``: a
number, or the usual shape of ``visual_search_mix``) where it has one, else a letter drawn uniformly from the
options. Registered as ``guesser``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from agents.base import register_agent
from pyvision_envs.protocol import answer_turn
from pyvision_envs.types import Observation

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Option lines such as "A. red", "(B) blue" or "C: green" at the start of a line.
_OPTION_LINE = re.compile(r"^\s*\(?([A-Z])[.):]\s+\S", re.MULTILINE)


def blind_guess(public: Mapping[str, Any], question: str, rng: random.Random) -> str:
    """A guess made without looking at the image.

    Args:
        public: The task's public facts (``info["task_public"]``); may be empty for real data.
        question: The question or prompt text, searched for lettered options when ``public`` has none.
        rng: Source of randomness for letter choices.

    Returns:
        ``public["blind_guess"]`` when the family has a most likely answer, else an option letter drawn
        uniformly, or ``"0"`` as a last resort.
    """
    if "blind_guess" in public:  # the family's most likely answer beats a uniform pick among the options
        return str(public["blind_guess"])
    choices = public.get("choices")
    if choices:
        return LETTERS[rng.randrange(len(choices))]
    letters = sorted(set(_OPTION_LINE.findall(question or "")))
    if letters:
        return rng.choice(letters)
    return "0"


class GuesserAgent:
    """Answers on the first turn with a blind guess; never calls a tool.

    Args:
        seed: Seed of the guesser's own random stream (one stream across episodes).
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.public: Mapping[str, Any] = {}
        self.question = ""

    def reset(self, observation: Observation, info: Mapping[str, Any]) -> None:
        """Remember the public facts and the prompt of the new episode."""
        self.public = info.get("task_public") or {}
        self.question = observation.text

    def act(self, observation: Observation, info: Mapping[str, Any]) -> str:
        """Answer immediately."""
        return answer_turn(blind_guess(self.public, self.question, self.rng))


register_agent("guesser", GuesserAgent)
