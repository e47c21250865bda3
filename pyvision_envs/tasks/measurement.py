"""Measurement: which segment is longest, the angle between two rays, a distance against a scale bar.

Segments, rays and dots are drawn aliased in exact key colours over faint grey clutter lines. The
longest segment beats the runner-up by a margin that shrinks with difficulty (easy 15-30 %, hard 3-5 %).

``public``: ``question_type`` ("longest", "angle" or "distance"); for "longest": ``colors`` (RGB lists in
option order) and ``choices``; for "angle": ``ray_colors`` (two RGB lists); for "distance": ``dot_colors``
(two RGB lists), ``bar_color`` and ``bar_units``; for numeric types ``blind_guess`` (the best answer without
looking, for blind baselines: not this task's answer).
"""

from __future__ import annotations

import math
from typing import ClassVar

from PIL import ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

QTYPES = ("longest", "angle", "distance")
ANGLE_RANGE = (20, 160)
DIST_RANGE = (5, 40)
DIST_TOL = 1
BAR = (0, 0, 0)
BAR_UNITS = 10
# canvas, segment count, longest margin range, angle tolerance, clutter lines, line width
_LEVELS = {
    "easy": ((640, 480), 3, (0.15, 0.30), 4, 0, 4),
    "medium": ((1024, 768), 4, (0.07, 0.12), 3, 30, 3),
    "hard": ((1600, 1200), 5, (0.03, 0.05), 2, 120, 3),
}


def _segment(rng, w: int, h: int, length: float, margin: int) -> tuple:
    """Endpoints of a segment of ``length`` pixels inside the canvas, at a random angle."""
    while True:
        t = rng.uniform(0, math.pi)
        x0, y0 = rng.uniform(margin, w - margin), rng.uniform(margin, h - margin)
        x1, y1 = x0 + length * math.cos(t), y0 + length * math.sin(t)
        if margin <= x1 <= w - margin and margin <= y1 <= h - margin:
            return (x0, y0, x1, y1)


class Measurement(TaskFamily):
    """Compare lengths, read an angle, or measure a distance with a scale bar."""

    name: ClassVar[str] = "measurement"

    @property
    def chance_accuracy(self) -> float:
        """Mean over the three equally likely question types of the best blind guess's accuracy."""
        n_seg, tol = _LEVELS[self.difficulty][1], _LEVELS[self.difficulty][3]
        return (1 / n_seg + d.numeric_chance(*ANGLE_RANGE, tol) + d.numeric_chance(*DIST_RANGE, DIST_TOL)) / 3

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        (w, h), n_seg, margins, tol, n_lines, lw = _LEVELS[self.difficulty]
        img = d.grey_background(rng, w, h, lo=235, hi=255, block=32)
        draw = ImageDraw.Draw(img)
        for _ in range(n_lines):  # grey distractor lines: never a key colour
            g = int(rng.integers(120, 200))
            x0, y0, x1, y1 = (float(v) for v in rng.uniform(0, 1, 4) * (w, h, w, h))
            draw.line([x0, y0, x1, y1], fill=(g, g, g), width=int(rng.integers(1, 4)))
        qtype = QTYPES[int(rng.integers(3))]
        build = {"longest": self._longest, "angle": self._angle, "distance": self._distance}[qtype]
        question, answer, grader_args, public = build(rng, draw, w, h, n_seg, margins, tol, lw)
        public["question_type"] = qtype
        grader = "choice" if qtype == "longest" else "numeric"
        return d.make_task(self.name, self.difficulty, seed, question=question, answer=answer, grader=grader,
                           grader_args=grader_args, images=[img], public=public)

    def _longest(self, rng, draw, w, h, n_seg, margins, tol, lw):
        names = d.pick(rng, list(d.COLORS), k=n_seg)
        base = rng.uniform(0.25, 0.4) * min(w, h)
        second = base * rng.uniform(1.0, 1.15)
        lengths = [base * rng.uniform(0.75, 1.0) for _ in range(n_seg - 2)] + [second]
        longest = second * (1 + rng.uniform(*margins))
        answer = int(rng.integers(n_seg))
        lengths.insert(answer, longest)
        for nm, length in zip(names, lengths, strict=True):
            draw.line(_segment(rng, w, h, length, 20), fill=d.COLORS[nm], width=lw)
        options = [f"the {nm} segment" for nm in names]
        stem = ("Which coloured line segment is the longest? The segments are coloured "
                + ", ".join(d.color_phrase(nm) for nm in names) + ".")
        public = {"colors": [list(d.COLORS[nm]) for nm in names], "choices": options}
        return d.mc_question(stem, options), d.LETTERS[answer], {"choices": options}, public

    def _angle(self, rng, draw, w, h, n_seg, margins, tol, lw):
        names = d.pick(rng, list(d.COLORS), k=2)
        angle = int(rng.integers(ANGLE_RANGE[0], ANGLE_RANGE[1] + 1))
        length = 0.38 * min(w, h)
        cx, cy = w / 2 + rng.uniform(-0.05, 0.05) * w, h / 2 + rng.uniform(-0.05, 0.05) * h
        t0 = rng.uniform(0, 2 * math.pi)
        for nm, t in zip(names, (t0, t0 + math.radians(angle)), strict=True):
            draw.line([cx, cy, cx + length * math.cos(t), cy + length * math.sin(t)], fill=d.COLORS[nm], width=lw)
        question = (f"Two rays start from a common point: one coloured {d.color_phrase(names[0])}, the other "
                    f"{d.color_phrase(names[1])}. What is the angle between them, in degrees (between 0 and "
                    f"180)? Answer with a number; within {tol} degrees counts as correct.")
        public = {"ray_colors": [list(d.COLORS[nm]) for nm in names],
                  "blind_guess": str(sum(ANGLE_RANGE) // 2)}
        return question, str(angle), {"abs_tol": tol, "rel_tol": 0}, public

    def _distance(self, rng, draw, w, h, n_seg, margins, tol, lw):
        names = d.pick(rng, list(d.COLORS), k=2)
        units = int(rng.integers(DIST_RANGE[0], DIST_RANGE[1] + 1))
        bar_px = int(rng.integers(40, 60)) * min(w, h) // 480  # pixels per BAR_UNITS units
        px = units * bar_px / BAR_UNITS
        while True:
            x0, y0 = rng.uniform(20, w - 20), rng.uniform(20, h - 80)
            t = rng.uniform(0, 2 * math.pi)
            x1, y1 = x0 + px * math.cos(t), y0 + px * math.sin(t)
            if 20 <= x1 <= w - 20 and 20 <= y1 <= h - 80:
                break
        r = max(4, min(w, h) // 120)
        for nm, (x, y) in zip(names, ((x0, y0), (x1, y1)), strict=True):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=d.COLORS[nm])
        bx, by = int(rng.integers(20, w - bar_px - 120)), h - 40
        draw.rectangle([bx, by, bx + bar_px - 1, by + 5], fill=BAR)
        draw.text((bx + bar_px + 8, by - 4), f"{BAR_UNITS} units", fill=(90, 90, 90))
        question = (f"The black bar near the bottom of the image is {BAR_UNITS} units long. How far apart are "
                    f"the centres of the {d.color_phrase(names[0])} dot and the {d.color_phrase(names[1])} dot, "
                    f"in units? Answer with a number; within {DIST_TOL} unit counts as correct.")
        public = {"dot_colors": [list(d.COLORS[nm]) for nm in names], "bar_color": list(BAR),
                  "bar_units": BAR_UNITS, "blind_guess": str(sum(DIST_RANGE) // 2)}
        return question, str(units), {"abs_tol": DIST_TOL, "rel_tol": 0}, public
