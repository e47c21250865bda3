"""Chart reading: bar or line charts drawn with matplotlib; ask a value, a difference or an extremum.

Charts are rendered off-screen with the Agg canvas (no pyplot, no display). The plot area is filled with
an exact key colour and the series is drawn aliased in another, so code can find the axes box and the
bars or markers from pixels alone; the question states the y range (0 at the bottom edge of the plot area,
``ymax`` at its top) and the categories in left-to-right order, which the tick labels also show.

``public``: ``question_type`` ("value", "difference", "max" or "min"), ``chart`` ("bar" or "line"),
``categories`` (left to right), ``ymax``, ``plot_color`` (RGB list of the plot area), ``series_color``,
``asked`` (the category names the question refers to), ``choices`` (extremum questions), ``blind_guess``
(numeric questions: the best answer without looking, for blind baselines; not this task's answer).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

PLOT_COLOR = (248, 248, 232)
SERIES_COLOR = d.COLORS["blue"]
NAMES = ("Oslo", "Lima", "Pune", "Kobe", "Baku", "Nice", "Graz", "Male", "Kiev", "Doha", "Riga", "Suva",
         "Bern", "Oran", "Faro", "Hilo")
QTYPES = ("value", "difference", "max", "min")
# (width, height) px, categories, ymax, extremum margin (fraction of ymax)
_LEVELS = {
    "easy": ((640, 480), 4, 100, 0.10),
    "medium": ((720, 540), 6, 100, 0.05),
    "hard": ((960, 640), 9, 500, 0.02),
}


def _ranges(ymax: int) -> tuple[tuple[int, int], tuple[int, int], int]:
    """Value range, difference range and tolerance for a y axis ending at ``ymax``."""
    return (ymax // 20, ymax - ymax // 20), (ymax // 10, ymax * 6 // 10), max(1, ymax // 50)


def _render(kind: str, names: list, values: list, size: tuple, ymax: int) -> Image.Image:
    w, h = size
    fig = Figure(figsize=(w / 100, h / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.08, 0.1, 0.9, 0.85))  # fixed box: cheaper than a subplot grid
    ax.set_facecolor(np.array(PLOT_COLOR) / 255)
    color = np.array(SERIES_COLOR) / 255
    x = np.arange(len(values))
    if kind == "bar":
        ax.bar(x, values, width=0.6, color=color, antialiased=False, zorder=3)
    else:
        ax.plot(x, values, color=color, linewidth=2, marker="o", markersize=8, antialiased=False, zorder=3)
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_ylim(0, ymax)
    ax.set_xticks(x, names)
    ax.set_yticks(np.linspace(0, ymax, 6))
    ax.grid(axis="y", color="0.8", linewidth=0.8, zorder=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy(), "RGB")


class Chart(TaskFamily):
    """Read a value, a difference or the extremum off a bar or line chart."""

    name: ClassVar[str] = "chart"

    @property
    def chance_accuracy(self) -> float:
        """Mean over the four equally likely question types of the best blind guess's accuracy."""
        _, n, ymax, _ = _LEVELS[self.difficulty]
        (vlo, vhi), (dlo, dhi), tol = _ranges(ymax)
        return (d.numeric_chance(vlo, vhi, tol) + d.numeric_chance(dlo, dhi, tol) + 2 / n) / 4

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        size, n, ymax, margin_frac = _LEVELS[self.difficulty]
        (vlo, vhi), (dlo, dhi), tol = _ranges(ymax)
        names = d.pick(rng, NAMES, k=n)
        kind = "bar" if rng.random() < 0.5 else "line"
        qtype = QTYPES[int(rng.integers(4))]
        values = [int(v) for v in rng.integers(vlo, vhi + 1, n)]
        i, j = (int(v) for v in rng.permutation(n)[:2])
        public = {"question_type": qtype, "chart": kind, "categories": list(names), "ymax": ymax,
                  "plot_color": list(PLOT_COLOR), "series_color": list(SERIES_COLOR)}
        scale = (f"The y axis runs from 0 at the bottom edge of the plot area to {ymax} at its top edge. "
                 f"The categories, left to right, are {', '.join(names)}. ")
        tol_text = f"Answer with a number; within {tol} counts as correct."
        if qtype == "value":
            answer, asked = values[i], [names[i]]
            question = f"{scale}What is the value of {names[i]} in this {kind} chart? {tol_text}"
            public["blind_guess"] = str((vlo + vhi) // 2)
        elif qtype == "difference":
            diff = int(rng.integers(dlo, dhi + 1))
            values[j] = int(rng.integers(vlo, vhi - diff + 1))
            values[i] = values[j] + diff
            answer, asked = diff, [names[i], names[j]]
            question = f"{scale}By how much does {names[i]} exceed {names[j]} in this {kind} chart? {tol_text}"
            public["blind_guess"] = str((dlo + dhi) // 2)
        else:
            margin = max(1, int(margin_frac * ymax))
            if qtype == "max":
                top = int(rng.integers(vlo + margin, vhi + 1))
                values = [int(v) for v in rng.integers(vlo, top - margin + 1, n)]
            else:
                top = int(rng.integers(vlo, vhi - margin + 1))
                values = [int(v) for v in rng.integers(top + margin, vhi + 1, n)]
            values[i] = top
            answer, asked = i, []
            word = "highest" if qtype == "max" else "lowest"
            question = d.mc_question(f"{scale}Which category has the {word} value in this {kind} chart?", names)
            public["choices"] = list(names)
        public["asked"] = asked
        img = _render(kind, names, values, size, ymax)
        if qtype in ("max", "min"):
            return d.make_task(self.name, self.difficulty, seed, question=question, answer=d.LETTERS[answer],
                               grader="choice", grader_args={"choices": list(names)}, images=[img],
                               public=public, meta={"values": values})
        return d.make_task(self.name, self.difficulty, seed, question=question, answer=str(answer),
                           grader="numeric", grader_args={"abs_tol": tol, "rel_tol": 0}, images=[img],
                           public=public, meta={"values": values})
