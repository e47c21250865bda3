"""Motion: in which direction does a ball of a given colour move? (multiple choice).

The target ball moves at constant speed for the whole video along one compass direction (``easy``: one of
four, ``medium``: one of eight) or, at ``hard``, along one direction and then, after a turn somewhere in the
middle third of the video, along another. Balls of other colours move in other directions and grey clutter
drifts across. A few frames spread over the video locate the ball; the displacement between them gives the
direction (for two legs: the first frames give the first leg, the last frames the second).

``public``: ``question_type`` ("direction" or "two_legs"), ``target_color`` (RGB list), ``target_color_name``,
``choices`` (the option texts, in letter order). Directions are as seen on screen: "up" is towards the top
edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.video import common as c
from pyvision_envs.types import Task

AXES = ("right", "down", "left", "up")


@dataclass(frozen=True)
class Level:
    """Settings of one difficulty."""

    size: tuple[int, int]
    fps: int
    seconds: int
    directions: tuple[str, ...]
    legs: int
    distractors: int
    movers: int
    ball: int = 16


LEVELS = {
    "easy": Level((160, 120), 10, 6, AXES, 1, 1, 0),
    "medium": Level((240, 180), 10, 8, tuple(c.DIRECTIONS), 1, 2, 3),
    "hard": Level((320, 240), 10, 10, AXES, 2, 3, 5),
}


def path(rng: np.random.Generator, w: int, h: int, margin: int, legs: list[str], turn: int, n: int):
    """A start point and speed such that the path (turning at frame ``turn``) stays ``margin`` inside."""
    for _ in range(1000):
        speed = float(rng.uniform(0.35, 0.6)) * min(w, h) / max(turn, n - turn) if len(legs) > 1 \
            else float(rng.uniform(0.4, 0.75)) * min(w, h) / n
        x0, y0 = rng.uniform(margin, w - margin), rng.uniform(margin, h - margin)
        (ax, ay), (bx, by) = _unit(legs[0]), _unit(legs[-1])
        xt, yt = x0 + ax * speed * turn, y0 + ay * speed * turn
        xe, ye = xt + bx * speed * (n - 1 - turn), yt + by * speed * (n - 1 - turn)
        if all(margin <= px <= w - margin and margin <= py <= h - margin for px, py in ((xt, yt), (xe, ye))):
            return x0, y0, speed
    raise ValueError("no path fits")  # pragma: no cover - the speed range always leaves room


def _unit(direction: str) -> tuple[float, float]:
    dx, dy = c.DIRECTIONS[direction]
    norm = (dx * dx + dy * dy) ** 0.5
    return dx / norm, dy / norm


def position(x0: float, y0: float, speed: float, legs: list[str], turn: int):
    """``frame -> (x, y)`` for a path along ``legs[0]`` until ``turn`` and ``legs[-1]`` after it."""
    (ax, ay), (bx, by) = _unit(legs[0]), _unit(legs[-1])

    def at(i: int) -> tuple[float, float]:
        first = min(i, turn)
        second = max(0, i - turn)
        return x0 + speed * (ax * first + bx * second), y0 + speed * (ay * first + by * second)

    return at


class VideoMotion(c.VideoTaskFamily):
    """Which way does the ball of one colour move?"""

    name: ClassVar[str] = "video_motion"
    version: ClassVar[int] = 1

    @property
    def chance_accuracy(self) -> float:
        """One correct option among the listed ones (4, 8, 4 by difficulty)."""
        lv = LEVELS[self.difficulty]
        return 1 / (len(lv.directions) if lv.legs == 1 else 4)

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        lv = LEVELS[self.difficulty]
        rng = self.rng(seed)
        w, h = lv.size
        n = lv.fps * lv.seconds
        color_name, *others = d.pick(rng, list(c.KEY_COLORS), k=1 + lv.distractors)
        legs = d.pick(rng, list(lv.directions), k=lv.legs)
        turn = int(rng.integers(n // 3, 2 * n // 3 + 1)) if lv.legs > 1 else n
        sprites = c.grey_movers(rng, w, h, lv.movers, n)
        for other in others:  # distractor balls, each along its own straight line
            way = [d.pick(rng, list(lv.directions))]
            x0, y0, speed = path(rng, w, h, lv.ball, way, n, n)
            sprites.append(c.Sprite("circle", c.rgb(other), lv.ball, position(x0, y0, speed, way, n), range(n)))
        x0, y0, speed = path(rng, w, h, lv.ball, legs, turn, n)
        sprites.append(c.Sprite("circle", c.rgb(color_name), lv.ball, position(x0, y0, speed, legs, turn), range(n)))
        background = c.grey_background(rng, w, h)
        video = self.video(seed, lv.fps, lambda: c.render(background, sprites, n))

        if lv.legs == 1:
            options = list(lv.directions)
            stem = f"In which direction does the {color_name} ball move (as seen on the screen)?"
            answer = options.index(legs[0])
            qtype = "direction"
        else:
            options, answer = _leg_options(rng, legs)
            stem = (f"The {color_name} ball moves in a straight line, turns once, and moves on in a straight line. "
                    "In which directions does it move before and after the turn (as seen on the screen)?")
            qtype = "two_legs"
        public = {"question_type": qtype, "target_color": list(c.rgb(color_name)), "target_color_name": color_name,
                  "choices": options}
        return self.make_task(seed, question=d.mc_question(stem, options), answer=d.LETTERS[answer],
                              grader="choice", grader_args={"choices": options}, video=video, public=public,
                              meta={"legs": legs, "turn_frame": turn, "frames": n, "fps": lv.fps})


def _leg_options(rng: np.random.Generator, legs: list[str]) -> tuple[list[str], int]:
    """The true (first, second) pair and three others: the swapped pair and two random pairs."""
    pairs = {tuple(legs), (legs[1], legs[0])}
    while len(pairs) < 4:
        pairs.add(tuple(d.pick(rng, list(AXES), k=2)))
    ordered = [sorted(pairs)[i] for i in rng.permutation(4)]
    return [f"{a}, then {b}" for a, b in ordered], ordered.index(tuple(legs))
