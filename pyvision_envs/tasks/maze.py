"""Path / maze: which of four marked cells can be reached from the start cell.

A random perfect maze (every cell reachable) is generated, then one wall is added on each wrong
candidate's path to the start, off the correct candidate's path, so exactly one candidate stays reachable.
Walls are exact black on white; the start and the candidates are filled with exact key colours.

``public``: ``question_type`` ("reachable"), ``rows``, ``cols``, ``start_color`` (RGB list),
``candidate_colors`` (RGB lists, in option order), ``choices`` (option texts).
"""

from __future__ import annotations

from typing import ClassVar

from PIL import Image, ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task

WALL = (0, 0, 0)
FLOOR = (255, 255, 255)
START = "green"
CANDIDATES = ("red", "blue", "orange", "purple", "magenta", "cyan", "brown")
_LEVELS = {"easy": (6, 40, 4), "medium": (12, 32, 4), "hard": (24, 28, 3)}  # grid size, cell px, wall px
_MARGIN = 12


def _carve(rng, n: int) -> set[frozenset]:
    """Open passages of a random perfect maze on an n x n grid (iterative randomized DFS)."""
    seen = {(0, 0)}
    stack = [(0, 0)]
    open_edges: set[frozenset] = set()
    while stack:
        r, c = stack[-1]
        nbrs = [(r + dr, c + dc) for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))
                if 0 <= r + dr < n and 0 <= c + dc < n and (r + dr, c + dc) not in seen]
        if not nbrs:
            stack.pop()
            continue
        nxt = d.pick(rng, nbrs)
        seen.add(nxt)
        open_edges.add(frozenset(((r, c), nxt)))
        stack.append(nxt)
    return open_edges


def _parents(open_edges: set[frozenset], n: int, root: tuple) -> dict:
    """Breadth-first parent pointers from ``root`` over the open passages."""
    parent = {root: None}
    frontier = [root]
    while frontier:
        nxt = []
        for r, c in frontier:
            for q in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if q not in parent and frozenset(((r, c), q)) in open_edges:
                    parent[q] = (r, c)
                    nxt.append(q)
        frontier = nxt
    return parent


def _path_edges(parent: dict, cell: tuple) -> list[frozenset]:
    edges = []
    while parent[cell] is not None:
        edges.append(frozenset((cell, parent[cell])))
        cell = parent[cell]
    return edges


def _render(n: int, cell: int, wall: int, open_edges: set, fills: dict) -> Image.Image:
    size = n * cell + 2 * _MARGIN
    img = Image.new("RGB", (size, size), FLOOR)
    draw = ImageDraw.Draw(img)
    for (r, c), color in fills.items():
        x, y = _MARGIN + c * cell, _MARGIN + r * cell
        draw.rectangle([x + wall, y + wall, x + cell - wall, y + cell - wall], fill=color)
    half = wall // 2
    for r in range(n + 1):
        for c in range(n + 1):
            x, y = _MARGIN + c * cell, _MARGIN + r * cell
            # wall on the top edge of cell (r, c): absent only where a passage joins (r-1, c) and (r, c)
            if c < n and not (0 < r < n and frozenset(((r - 1, c), (r, c))) in open_edges):
                draw.rectangle([x - half, y - half, x + cell + half, y + half], fill=WALL)
            if r < n and not (0 < c < n and frozenset(((r, c - 1), (r, c))) in open_edges):
                draw.rectangle([x - half, y - half, x + half, y + cell + half], fill=WALL)
    return img


class Maze(TaskFamily):
    """Say which marked cell of a maze the start cell connects to."""

    name: ClassVar[str] = "maze"

    @property
    def chance_accuracy(self) -> float:
        """Four candidates; the reachable one is in a uniformly random option position."""
        return 0.25

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        rng = d.task_rng(self.name, self.difficulty, seed)
        n, cell, wall = _LEVELS[self.difficulty]
        open_edges = _carve(rng, n)
        cells = [(r, c) for r in range(n) for c in range(n)]
        while True:
            start, *cands = d.pick(rng, cells, k=5)
            parent = _parents(open_edges, n, start)
            answer = int(rng.integers(4))
            keep = set(_path_edges(parent, cands[answer]))
            choices = [[e for e in _path_edges(parent, c) if e not in keep] for c in cands]
            if all(choices[i] for i in range(4) if i != answer):
                break
        for i in range(4):
            if i != answer:
                open_edges.discard(d.pick(rng, choices[i]))
        reach = _parents(open_edges, n, start)
        if [c in reach for c in cands] != [i == answer for i in range(4)]:
            raise RuntimeError(f"maze seed {seed}: cutting walls did not isolate the wrong candidates")

        names = d.pick(rng, CANDIDATES, k=4)
        fills = {start: d.COLORS[START], **{c: d.COLORS[nm] for c, nm in zip(cands, names, strict=True)}}
        img = _render(n, cell, wall, open_edges, fills)
        options = [f"the {nm} cell" for nm in names]
        stem = (f"The image shows a maze on a {n} x {n} grid of square cells; black lines are walls. "
                f"Moving between neighbouring cells without crossing a wall, which of the marked cells can "
                f"be reached from the {d.color_phrase(START)} start cell? Exactly one can. The candidates "
                "are coloured " + ", ".join(d.color_phrase(nm) for nm in names) + ".")
        public = {"question_type": "reachable", "rows": n, "cols": n, "start_color": list(d.COLORS[START]),
                  "candidate_colors": [list(d.COLORS[nm]) for nm in names], "choices": options}
        return d.make_task(
            self.name, self.difficulty, seed, question=d.mc_question(stem, options),
            answer=d.LETTERS[answer], grader="choice", grader_args={"choices": options}, images=[img],
            public=public, meta={"start": start, "candidates": cands},
        )
