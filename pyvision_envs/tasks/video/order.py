"""Temporal order: in which order do several shapes first appear? (multiple choice).

Each named shape (a distinct key colour) pops up once, stays for 1.2 to 3 seconds and vanishes. Consecutive
appearances start at least one second apart and each lasts at least one second, so one frame per second shows
every shape and its first sighting keeps the true order: code can sort the shapes by the first sampled frame
that shows them. Four options: the true order and three other permutations.

``public``: ``question_type`` ("order"), ``objects`` (list of {"name", "color", "shape"} in the order the
question lists them), ``choices`` (the option texts, in letter order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.video import common as c
from pyvision_envs.types import Task

N_OPTIONS = 4


@dataclass(frozen=True)
class Level:
    """Settings of one difficulty."""

    size: tuple[int, int]
    fps: int
    seconds: int
    events: int
    movers: int
    shape_size: int = 20


LEVELS = {
    "easy": Level((160, 120), 10, 10, 3, 0),
    "medium": Level((240, 180), 10, 12, 4, 3),
    "hard": Level((320, 240), 10, 15, 5, 6),
}


def event_starts(rng: np.random.Generator, n_frames: int, events: int, gap: int, tail: int) -> list[int]:
    """Sorted start frames, consecutive ones at least ``gap`` apart, the last at most ``n_frames - tail``."""
    spare = n_frames - tail - (events - 1) * gap
    base = np.sort(rng.integers(0, spare + 1, events))
    return [int(b) + k * gap for k, b in enumerate(base)]


def order_options(rng: np.random.Generator, names: list[str]) -> tuple[list[str], int]:
    """The true order and three other distinct permutations, shuffled; return (texts, index of the truth)."""
    truth = tuple(names)
    perms = {truth}
    while len(perms) < N_OPTIONS:
        perms.add(tuple(names[i] for i in rng.permutation(len(names))))
    ordered = sorted(perms)
    ordered = [ordered[i] for i in rng.permutation(len(ordered))]
    return [", then ".join(p) for p in ordered], ordered.index(truth)


class VideoOrder(c.VideoTaskFamily):
    """In which order do the named shapes first appear?"""

    name: ClassVar[str] = "video_order"
    version: ClassVar[int] = 1

    @property
    def chance_accuracy(self) -> float:
        """Four options, one correct."""
        return 1 / N_OPTIONS

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        lv = LEVELS[self.difficulty]
        rng = self.rng(seed)
        w, h = lv.size
        n = lv.fps * lv.seconds
        colors = d.pick(rng, list(c.KEY_COLORS), k=lv.events)
        shapes = [d.pick(rng, d.SHAPES) for _ in colors]
        starts = event_starts(rng, n, lv.events, lv.fps + 2, 3 * lv.fps)
        spots = c.spread_positions(rng, w, h, lv.events, lv.shape_size * 1.8, lv.shape_size)
        sprites = c.grey_movers(rng, w, h, lv.movers, n)
        for col, shape, start, (x, y) in zip(colors, shapes, starts, spots, strict=True):
            stay = int(rng.integers(int(1.2 * lv.fps), 3 * lv.fps + 1))
            sprites.append(c.Sprite(shape, c.rgb(col), lv.shape_size, c.still(x, y), range(start, start + stay)))
        background = c.grey_background(rng, w, h)
        video = self.video(seed, lv.fps, lambda: c.render(background, sprites, n))

        names = [f"{col} {shape}" for col, shape in zip(colors, shapes, strict=True)]  # in order of appearance
        listed = [names[i] for i in rng.permutation(len(names))]
        options, answer = order_options(rng, names)
        stem = (f"Each of these shapes appears once in the video: the {', the '.join(listed)}. In which order do they "
                "first appear?")
        objects = [{"name": nm, "color": list(c.rgb(nm.split()[0])), "shape": nm.split()[1]} for nm in listed]
        public = {"question_type": "order", "objects": objects, "choices": options}
        return self.make_task(seed, question=d.mc_question(stem, options), answer=d.LETTERS[answer], grader="choice",
                              grader_args={"choices": options}, video=video, public=public,
                              meta={"starts": starts, "frames": n, "fps": lv.fps})
