"""Spatial relation between two small objects far apart on a large cluttered canvas.

Each of the two named objects has an exact key colour and a shape. From ``medium`` on, decoys in colours a
few steps from the key colours are scattered around; at ``hard`` there are also decoys with the exact key
colour but another shape, so finding the right object needs its shape as well.

``public``: ``question_type`` ("relation"), ``objects`` (two dicts: ``color`` RGB list, ``color_name``,
``shape``; the first is the one asked about), ``choices`` (option texts).
"""

from __future__ import annotations

import math
from typing import ClassVar

from PIL import ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

RELATIONS = ("above and to the left of", "above and to the right of",
             "below and to the left of", "below and to the right of")

# canvas, clutter count, clutter sizes, key sizes, near-colour decoys, same-colour other-shape decoys
_LEVELS = {
    "easy": ((1024, 768), 150, (10, 26), (20, 26), 0, 0),
    "medium": ((1920, 1080), 700, (8, 22), (14, 20), 10, 0),
    "hard": ((3840, 2160), 3000, (6, 20), (12, 18), 30, 2),
}


def _pair(rng, lo: int, hi: int, gap: int, first_smaller: bool) -> tuple[int, int]:
    """Two coordinates in [lo, hi] at least ``gap`` apart, the first one smaller when asked."""
    a = int(rng.integers(lo, hi - gap + 1))
    b = int(rng.integers(a + gap, hi + 1))
    return (a, b) if first_smaller else (b, a)


def _free_spot(rng, w: int, h: int, taken: list, min_dist: float, margin: int) -> tuple[int, int]:
    """A random point at least ``min_dist`` from every point in ``taken``."""
    while True:
        p = (int(rng.integers(margin, w - margin)), int(rng.integers(margin, h - margin)))
        if all(math.dist(p, q) >= min_dist for q in taken):
            return p


class Spatial(TaskFamily):
    """Say where one small object lies relative to another, far away."""

    name: ClassVar[str] = "spatial"

    @property
    def chance_accuracy(self) -> float:
        """Four relations, drawn uniformly."""
        return 0.25

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        (w, h), n_clutter, clutter_sizes, sizes, n_near, n_same = _LEVELS[self.difficulty]
        names = d.pick(rng, list(d.COLORS), k=2)
        shapes = [d.pick(rng, d.SHAPES), d.pick(rng, d.SHAPES)]
        relation = int(rng.integers(4))
        margin = int(0.04 * min(w, h)) + sizes[1]
        xa, xb = _pair(rng, margin, w - margin, int(0.25 * w), first_smaller=relation % 2 == 0)
        ya, yb = _pair(rng, margin, h - margin, int(0.25 * h), first_smaller=relation // 2 == 0)
        keys = [(xa, ya), (xb, yb)]

        img = d.grey_background(rng, w, h)
        draw = ImageDraw.Draw(img)
        palette = d.clutter_palette(rng, 24, list(d.COLORS.values()))
        d.add_clutter(draw, rng, w, h, n_clutter, clutter_sizes, palette)
        taken = list(keys)
        for i in range(2):
            color = d.COLORS[names[i]]
            near = [d.near_color(rng, color, [d.COLORS[n] for n in names]) for _ in range(3)]
            for _ in range(n_near // 2):
                p = _free_spot(rng, w, h, taken, 3 * sizes[1], margin)
                d.draw_shape(draw, shapes[i], *p, int(rng.integers(sizes[0], sizes[1] + 1)), d.pick(rng, near))
            others = [s for s in d.SHAPES if s != shapes[i]]
            for _ in range(n_same):  # exact colour, other shape: kept apart so components stay separate
                p = _free_spot(rng, w, h, taken, 3 * sizes[1], margin)
                taken.append(p)
                d.draw_shape(draw, d.pick(rng, others), *p, int(rng.integers(sizes[0], sizes[1] + 1)), color)
        for i in range(2):
            d.draw_shape(draw, shapes[i], *keys[i], int(rng.integers(sizes[0], sizes[1] + 1)),
                         d.COLORS[names[i]])

        desc = [f"{d.color_phrase(names[i])} {shapes[i]}" for i in range(2)]
        stem = (f"This {w}x{h} image contains a small {desc[0]} and a small {desc[1]}, far apart. "
                f"Where is the {names[0]} {shapes[0]} relative to the {names[1]} {shapes[1]}? "
                "It is ...")
        public = {
            "question_type": "relation",
            "objects": [{"color": list(d.COLORS[names[i]]), "color_name": names[i], "shape": shapes[i]}
                        for i in range(2)],
            "choices": list(RELATIONS),
        }
        return d.make_task(
            self.name, self.difficulty, seed, question=d.mc_question(stem, RELATIONS),
            answer=d.LETTERS[relation], grader="choice", grader_args={"choices": list(RELATIONS)},
            images=[img], public=public, meta={"positions": keys},
        )
