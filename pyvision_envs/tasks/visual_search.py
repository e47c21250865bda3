"""Visual search: one small target in a large cluttered canvas (the V* / HRBench analogue).

The target is the only object of an exact key colour; the question asks its shape or its quadrant, as
multiple choice. Clutter is hundreds to thousands of shapes of every kind; from ``medium`` on, decoys in
colours a few steps from the target's are scattered too, so an eyeball colour match is not enough.

``public``: ``question_type`` ("shape" or "position"), ``target_color`` (RGB list), ``target_color_name``,
``target_shape`` (position questions only: the question names it), ``choices`` (option texts).

:class:`VisualSearchMix` is the task mix of the tool-use ablations (``examples/ablation.py``): the same tasks,
except that the target is usually (``usual_share`` = 85%) a circle. Quadrant questions still need looking (a guess
is right one time in four), while on shape questions the prior alone is right about 89% of the time
(``public["blind_guess"]`` = ``"circle"``, the family's most likely answer, not this task's). Under a plain
accuracy reward, looking then pays on half the tasks only, so tool use has a reason to decay.
"""

from __future__ import annotations

from typing import ClassVar

from PIL import ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

QUADRANTS = ("top-left", "top-right", "bottom-left", "bottom-right")

# canvas (w, h), clutter count, clutter sizes, target sizes, near-colour decoys
_LEVELS = {
    "easy": ((1024, 768), 150, (10, 28), (22, 28), 0),
    "medium": ((1920, 1080), 700, (8, 22), (14, 20), 8),
    "hard": ((3840, 2160), 3000, (6, 20), (12, 16), 40),
}


class VisualSearch(TaskFamily):
    """Find a small uniquely coloured target in clutter and report its shape or quadrant."""

    name: ClassVar[str] = "visual_search"
    usual_shape: ClassVar[str | None] = None
    """A shape the target takes more often than the others (None: all four equally often)."""
    usual_share: ClassVar[float] = 0.0
    """How often the target is forced to ``usual_shape`` (otherwise it is drawn uniformly, so it may still be)."""

    @property
    def chance_accuracy(self) -> float:
        """Four options each; shape questions are guessed from the prior when there is one (half the questions)."""
        shape = self.usual_share + (1 - self.usual_share) / 4
        return 0.5 * 0.25 + 0.5 * shape if self.usual_shape else 0.25

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        (w, h), n_clutter, clutter_sizes, target_sizes, n_near = _LEVELS[self.difficulty]
        color_name = d.pick(rng, list(d.COLORS))
        color = d.COLORS[color_name]
        shape = d.pick(rng, d.SHAPES)
        if self.usual_shape and rng.random() < self.usual_share:
            shape = self.usual_shape
        qtype = "shape" if rng.random() < 0.5 else "position"
        quadrant = int(rng.integers(4))
        size = int(rng.integers(target_sizes[0], target_sizes[1] + 1))
        # Stay clear of the image border and of the midlines so the quadrant is unambiguous.
        mx, my = int(0.05 * w) + size, int(0.05 * h) + size
        cx = int(rng.integers(mx, w // 2 - mx)) + (w // 2 if quadrant % 2 else 0)
        cy = int(rng.integers(my, h // 2 - my)) + (h // 2 if quadrant // 2 else 0)

        img = d.grey_background(rng, w, h)
        draw = ImageDraw.Draw(img)
        palette = d.clutter_palette(rng, 24, list(d.COLORS.values()))
        d.add_clutter(draw, rng, w, h, n_clutter, clutter_sizes, palette)
        if n_near:
            near = [d.near_color(rng, color, [color]) for _ in range(4)]
            d.add_clutter(draw, rng, w, h, n_near, target_sizes, near)
        d.draw_shape(draw, shape, cx, cy, size, color)

        public = {"question_type": qtype, "target_color": list(color), "target_color_name": color_name}
        if qtype == "shape":
            options = d.pick(rng, d.SHAPES, k=len(d.SHAPES))
            answer = d.LETTERS[options.index(shape)]
            stem = (f"Somewhere in this {w}x{h} image there is one small object coloured exactly "
                    f"{d.color_phrase(color_name)}. What is its shape?")
            if self.usual_shape:
                public["blind_guess"] = self.usual_shape
        else:
            options = list(QUADRANTS)
            answer = d.LETTERS[quadrant]
            public["target_shape"] = shape
            stem = (f"Somewhere in this {w}x{h} image there is one small {shape} coloured exactly "
                    f"{d.color_phrase(color_name)}. In which quadrant of the image is it?")
        public["choices"] = list(options)
        return d.make_task(
            self.name, self.difficulty, seed,
            question=d.mc_question(stem, options), answer=answer,
            grader="choice", grader_args={"choices": list(options)}, images=[img], public=public,
            meta={"target_xy": (cx, cy), "target_size": size, "target_shape": shape},
        )


class VisualSearchMix(VisualSearch):
    """Visual search whose target is usually a circle: shape questions can be guessed, quadrants cannot."""

    name: ClassVar[str] = "visual_search_mix"
    usual_shape: ClassVar[str | None] = "circle"
    usual_share: ClassVar[float] = 0.85
