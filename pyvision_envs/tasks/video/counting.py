"""Counting over time: how many times does the lamp of a given colour light up?

A row of lamps (dark discs) sits in the frame; each lights up in its own colour at its own random moments.
Every flash lasts at least one second and a lamp stays dark at least one second between flashes (the
question says so), so sampling one frame per second never misses a flash nor merges two: code can count the
off-to-on changes of the asked lamp in about a tenth of the frames. Grey clutter drifts across from
``medium`` on.

``public``: ``question_type`` ("count_flashes"), ``target_color`` (RGB list), ``target_color_name``,
``min_flash_s``, ``min_gap_s``, ``blind_guess`` (the middle of the count range; not this task's answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.video import common as c
from pyvision_envs.types import Task

LAMP_OFF = (55, 55, 55)


@dataclass(frozen=True)
class Level:
    """Settings of one difficulty."""

    size: tuple[int, int]
    fps: int
    seconds: int
    lamps: int
    counts: tuple[int, int]
    movers: int
    lamp_size: int = 22


LEVELS = {
    "easy": Level((160, 120), 10, 10, 2, (1, 4), 0),
    "medium": Level((240, 180), 10, 15, 3, (2, 6), 2),
    "hard": Level((320, 240), 10, 20, 4, (3, 8), 4),
}


def flash_schedule(rng: np.random.Generator, n_frames: int, count: int, min_len: int) -> list[range]:
    """``count`` on-intervals of at least ``min_len`` frames, separated by at least ``min_len`` dark frames.

    The spare frames are spread at random over the 2 * count + 1 segments (dark, on, dark, ..., on, dark).
    """
    spare = n_frames - (2 * count - 1) * min_len
    if spare < 0:
        raise ValueError(f"{count} flashes of {min_len} frames do not fit in {n_frames} frames")
    cuts = np.sort(rng.integers(0, spare + 1, 2 * count))
    extra = np.diff(np.concatenate([[0], cuts, [spare]]))  # 2 * count + 1 non-negative parts summing to spare
    flashes, t = [], int(extra[0])
    for k in range(count):
        on = min_len + int(extra[2 * k + 1])
        flashes.append(range(t, t + on))
        t += on + (min_len if k < count - 1 else 0) + int(extra[2 * k + 2])
    return flashes


class VideoCounting(c.VideoTaskFamily):
    """How many times does the lamp of one colour light up?"""

    name: ClassVar[str] = "video_counting"
    version: ClassVar[int] = 1

    @property
    def chance_accuracy(self) -> float:
        """The count is uniform over its range and must be exact: the best blind guess hits 1/N."""
        lo, hi = LEVELS[self.difficulty].counts
        return 1 / (hi - lo + 1)

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        lv = LEVELS[self.difficulty]
        rng = self.rng(seed)
        w, h = lv.size
        n = lv.fps * lv.seconds
        names = d.pick(rng, list(c.KEY_COLORS), k=lv.lamps)
        lo, hi = lv.counts
        count = int(rng.integers(lo, hi + 1))
        spots = c.spread_positions(rng, w, h, lv.lamps, lv.lamp_size * 2.0, lv.lamp_size)
        sprites = c.grey_movers(rng, w, h, lv.movers, n)
        for k, (name, (x, y)) in enumerate(zip(names, spots, strict=True)):
            flashes = count if k == 0 else int(rng.integers(1, hi + 1))
            sprites.append(c.Sprite("circle", LAMP_OFF, lv.lamp_size, c.still(x, y), range(n)))
            for r in flash_schedule(rng, n, flashes, lv.fps):
                sprites.append(c.Sprite("circle", c.rgb(name), lv.lamp_size, c.still(x, y), r))
        background = c.grey_background(rng, w, h)
        video = self.video(seed, lv.fps, lambda: c.render(background, sprites, n))

        color_name = names[0]
        question = (f"The video shows {lv.lamps} lamps that light up from time to time, each in its own colour. "
                    f"How many times does the {color_name} lamp light up? Every flash lasts at least 1 second, and "
                    "a lamp stays dark for at least 1 second between two flashes. Answer with a number.")
        public = {"question_type": "count_flashes", "target_color": list(c.rgb(color_name)),
                  "target_color_name": color_name, "min_flash_s": 1.0, "min_gap_s": 1.0,
                  "blind_guess": str((lo + hi) // 2)}
        return self.make_task(seed, question=question, answer=str(count), grader="numeric",
                              grader_args={"abs_tol": 0, "rel_tol": 0}, video=video, public=public,
                              meta={"count": count, "frames": n, "fps": lv.fps})
