"""Counting: how many objects of one kind (exact colour and shape) among distractors.

Distractors are objects of the same colour with other shapes, of the same shape with other colours, and
(from ``medium`` on) of the same shape in colours a few steps from the key colour, over random clutter.
Counted objects and same-colour distractors sit in separate grid cells, so they never touch: code can
count connected components of the exact colour and classify each one's shape.

``public``: ``question_type`` ("count"), ``target_color`` (RGB list), ``target_color_name``, ``target_shape``,
``blind_guess`` (the most likely count without looking: for blind baselines, not this task's answer).
"""

from __future__ import annotations

from typing import ClassVar

from PIL import ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

# canvas, cell, object sizes, count range, same-colour other shapes, same-shape other colours,
# near-colour decoys, clutter shapes
_LEVELS = {
    "easy": ((800, 600), 50, (18, 26), (1, 8), (2, 5), (2, 5), 0, 0),
    "medium": ((1200, 900), 44, (14, 22), (2, 13), (4, 8), (4, 8), 6, 250),
    "hard": ((1600, 1200), 40, (12, 20), (5, 20), (8, 14), (6, 10), 12, 700),
}


class Counting(TaskFamily):
    """Count the objects of one exact colour and shape."""

    name: ClassVar[str] = "counting"

    @property
    def chance_accuracy(self) -> float:
        """The count is uniform over its range and must be exact: the best blind guess hits 1/N."""
        lo, hi = _LEVELS[self.difficulty][3]
        return d.numeric_chance(lo, hi, 0)

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        (w, h), cell, sizes, (lo, hi), n_same_color, n_same_shape, n_near, n_clutter = _LEVELS[self.difficulty]
        color_name, *other_names = d.pick(rng, list(d.COLORS), k=4)
        color = d.COLORS[color_name]
        shape = d.pick(rng, d.SHAPES)
        count = int(rng.integers(lo, hi + 1))

        objects = [(shape, color)] * count
        other_shapes = [s for s in d.SHAPES if s != shape]
        objects += [(d.pick(rng, other_shapes), color) for _ in range(int(rng.integers(*n_same_color) + 1))]
        objects += [(shape, d.COLORS[d.pick(rng, other_names)])
                    for _ in range(int(rng.integers(*n_same_shape) + 1))]
        if n_near:
            near = [d.near_color(rng, color, [color]) for _ in range(3)]
            objects += [(shape, d.pick(rng, near)) for _ in range(n_near)]

        img = d.grey_background(rng, w, h)
        draw = ImageDraw.Draw(img)
        if n_clutter:
            palette = d.clutter_palette(rng, 16, list(d.COLORS.values()))
            d.add_clutter(draw, rng, w, h, n_clutter, (6, 14), palette)
        centres = d.grid_cells(rng, w, h, cell, len(objects), margin=4)
        jitter = (cell - sizes[1]) // 2 - 2
        for (s, c), (x, y) in zip(objects, centres, strict=True):
            dx, dy = (int(v) for v in rng.integers(-jitter, jitter + 1, 2))
            d.draw_shape(draw, s, x + dx, y + dy, int(rng.integers(sizes[0], sizes[1] + 1)), c)

        question = (f"How many {shape}s coloured exactly {d.color_phrase(color_name)} are in this image? "
                    f"Shapes of other kinds in that colour, and {shape}s in other or similar colours, do not "
                    "count. Answer with a number.")
        public = {"question_type": "count", "target_color": list(color), "target_color_name": color_name,
                  "target_shape": shape, "blind_guess": str((lo + hi) // 2)}
        return d.make_task(
            self.name, self.difficulty, seed, question=question, answer=str(count),
            grader="numeric", grader_args={"abs_tol": 0, "rel_tol": 0}, images=[img], public=public,
            meta={"count": count, "objects": len(objects)},
        )
