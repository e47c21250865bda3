"""The scripted expert: solves each synthetic task family, image or video, by writing protocol code.

Turn 1: code (built by :func:`agents.solvers.solver_code` from ``info["family"]`` and ``info["task_public"]``,
never from the answer) that reads the pixels of ``image_clue_0`` or samples frames of ``video_clue_0`` in the
sandbox, shows what it looked at, and prints ``ANSWER: <x>``. Turn 2: the answer read back from the
interpreter's text result. When the tool failed to run the call (``tool_failure_rate``), it runs the code again
(``retries`` times; the episode needs the turns). When the code failed, or the family has no solver (real data),
it falls back to the guesser's blind guess. Registered as ``expert`` (and as ``video-expert``, the name older command lines use).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from agents.base import register_agent
from agents.guesser import blind_guess
from agents.solvers import FRAME_BUDGET, solver_code
from pyvision_envs.core import TOOL_FAILURE
from pyvision_envs.protocol import answer_turn, code_turn
from pyvision_envs.types import Observation

_ANSWER_LINE = re.compile(r"^ANSWER:\s*(\S[^\n]*?)\s*$", re.MULTILINE)


def read_answer(text: str) -> str | None:
    r"""The last ``ANSWER: x`` line printed by the expert's code, if the observation has one.

    Examples:
        >>> read_answer("<interpreter>\nText Result:\nread 3 blobs\nANSWER: 7\n</interpreter>")
        '7'
        >>> read_answer("<interpreter>\nText Result:\nNameError: name 'x' is not defined\n</interpreter>") is None
        True
    """
    found = _ANSWER_LINE.findall(text or "")
    return found[-1] if found else None


class ExpertAgent:
    """Writes pixel-level solver code on turn 1 and answers with its printed result on turn 2.

    Variants override :meth:`_code` (what to run) and :meth:`_read` (how to read the answer back).

    Args:
        show_frames: Images its code shows back to itself: the zoomed region of an image, or up to this
            many of the video frames it looked at, side by side in one figure (0: none).
        budget: Largest share of a video's frames its code decodes.
        seed: Seed for the blind fallback guess.
        retries: Times to run the code again after the tool failed to run it (each costs a turn).
    """

    def __init__(self, show_frames: int = 1, budget: float = FRAME_BUDGET, seed: int = 0, retries: int = 1) -> None:
        self.retries = int(retries)
        self.retries_left = self.retries
        self.show_frames = int(show_frames)
        self.budget = float(budget)
        self.rng = random.Random(seed)
        self.family = ""
        self.public: Mapping[str, Any] = {}
        self.question = ""
        self.turn = 0

    def reset(self, observation: Observation, info: Mapping[str, Any]) -> None:
        """Start an episode: remember the family, the public facts and the prompt."""
        self.family = str(info.get("family") or "")
        self.public = info.get("task_public") or {}
        self.question = observation.text
        self.turn = 0
        self.retries_left = self.retries

    def _code(self) -> str | None:
        """Solver code for this episode's family (None: no solver, guess blind)."""
        return solver_code(self.family, self.public, show_frames=self.show_frames, budget=self.budget)

    def _read(self, text: str) -> str | None:
        """The answer the code printed in an interpreter observation (None: it printed none)."""
        return read_answer(text)

    def act(self, observation: Observation, info: Mapping[str, Any]) -> str:
        """Return code on the first turn, then the answer the code printed (or a blind guess)."""
        self.turn += 1
        if self.turn == 1:
            code = self._code()
            if code is not None:
                return code_turn(code)
        else:
            found = self._read(observation.text)
            if found is not None:
                return answer_turn(found)
            code = self._code() if f"{TOOL_FAILURE}:" in (observation.text or "") and self.retries_left else None
            if code is not None:
                self.retries_left -= 1
                return code_turn(code)
        return answer_turn(blind_guess(self.public, self.question, self.rng))


register_agent("expert", ExpertAgent)
register_agent("video-expert", ExpertAgent)  # the video expert's old name: one agent plays both now
