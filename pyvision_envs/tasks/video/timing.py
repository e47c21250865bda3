"""Event timing: when does a shape of a given colour first appear? (seconds, graded with a tolerance).

The target appears at a random moment between 1 s and 1 s before the end and then stays (from ``medium`` on
it drifts slowly), while shapes of other key colours come and go and grey clutter drifts across. Because the
target never leaves once it is there, its presence is monotone in time: code can binary-search the first
frame that shows it, looking at about log2(frames) frames instead of all of them.

``public``: ``question_type`` ("first_appearance"), ``target_color`` (RGB list), ``target_color_name``,
``target_shape``, ``tolerance_s``, ``blind_guess`` (the middle of the possible range; not this task's answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.video import common as c
from pyvision_envs.types import Task


@dataclass(frozen=True)
class Level:
    """Settings of one difficulty."""

    size: tuple[int, int]
    fps: int
    seconds: int
    target_size: int
    distractors: int
    movers: int
    drift: bool
    tolerance_s: float = 0.5


LEVELS = {
    "easy": Level((160, 120), 10, 8, 22, 2, 0, False),
    "medium": Level((240, 180), 10, 12, 18, 4, 3, True),
    "hard": Level((320, 240), 12, 16, 16, 7, 6, True),
}


class VideoEventTiming(c.VideoTaskFamily):
    """When does the target shape first appear (in seconds)?"""

    name: ClassVar[str] = "video_timing"
    version: ClassVar[int] = 1

    @property
    def chance_accuracy(self) -> float:
        """The onset frame is uniform over ``[fps, n - fps]``; the blind guess (the middle) hits those within tol."""
        lv = LEVELS[self.difficulty]
        onsets = range(lv.fps, lv.fps * (lv.seconds - 1) + 1)
        hits = sum(abs(k / lv.fps - lv.seconds / 2) <= lv.tolerance_s + 1e-9 for k in onsets)
        return hits / len(onsets)

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        lv = LEVELS[self.difficulty]
        rng = self.rng(seed)
        w, h = lv.size
        n = lv.fps * lv.seconds
        onset = int(rng.integers(lv.fps, n - lv.fps + 1))
        color_name, *others = d.pick(rng, list(c.KEY_COLORS), k=len(c.KEY_COLORS))
        shape = d.pick(rng, d.SHAPES)
        (x, y), *spots = c.spread_positions(rng, w, h, 1 + lv.distractors, lv.target_size * 1.6, lv.target_size)
        move = c.linear(x, y, *(rng.uniform(-0.25, 0.25, 2) if lv.drift else (0.0, 0.0)), i0=onset)
        sprites = c.grey_movers(rng, w, h, lv.movers, n)
        for k, (dx, dy) in enumerate(spots):
            start = int(rng.integers(0, n - lv.fps))
            stop = int(rng.integers(start + lv.fps // 2, n + 1))
            sprites.append(c.Sprite(d.pick(rng, d.SHAPES), c.rgb(others[k % len(others)]),
                                    int(rng.integers(14, 24)), c.still(dx, dy), range(start, stop)))
        sprites.append(c.Sprite(shape, c.rgb(color_name), lv.target_size, move, range(onset, n)))
        background = c.grey_background(rng, w, h)
        video = self.video(seed, lv.fps, lambda: c.render(background, sprites, n))

        question = (f"At what time, in seconds from the start of the video, does the {color_name} {shape} first "
                    f"appear? Answer with a number of seconds; answers within {lv.tolerance_s:g} s count as "
                    "correct.")
        public = {"question_type": "first_appearance", "target_color": list(c.rgb(color_name)),
                  "target_color_name": color_name, "target_shape": shape, "tolerance_s": lv.tolerance_s,
                  "blind_guess": f"{lv.seconds / 2:g}"}
        return self.make_task(seed, question=question, answer=c.seconds(onset, lv.fps), grader="numeric",
                              grader_args={"abs_tol": lv.tolerance_s, "rel_tol": 0}, video=video, public=public,
                              meta={"onset_frame": onset, "frames": n, "fps": lv.fps})
