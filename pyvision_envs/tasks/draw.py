"""Shared helpers for the synthetic families: seeding, exact colours, aliased shapes, clutter, MC text.

Everything a scripted expert must find is drawn without antialiasing in an exact RGB colour that nothing
else in the image uses, so that code can locate it with ``np.all(arr == rgb, axis=-1)``. Backgrounds are
grey (R == G == B) and every key colour is saturated, so no background pixel can match a key colour.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from pyvision_envs.types import Task

DIFF_INDEX = {"easy": 0, "medium": 1, "hard": 2}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Saturated, well separated key colours (no two within 90 in L1 distance); none is grey.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (230, 25, 75),
    "green": (60, 180, 75),
    "blue": (0, 130, 200),
    "orange": (245, 130, 48),
    "purple": (145, 30, 180),
    "cyan": (70, 240, 240),
    "magenta": (240, 50, 230),
    "yellow": (255, 225, 25),
    "lime": (170, 255, 60),
    "brown": (150, 90, 20),
}
SHAPES = ("circle", "square", "triangle", "diamond")


def task_rng(family: str, difficulty: str, seed: int) -> np.random.Generator:
    """A generator that depends only on (family, difficulty, seed): identical in every process."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng([int(seed), DIFF_INDEX[difficulty], zlib.crc32(family.encode())])


def pick(rng: np.random.Generator, items: Sequence[Any], k: int | None = None) -> Any:
    """One item (``k=None``) or ``k`` distinct items of ``items``, in random order."""
    if k is None:
        return items[int(rng.integers(len(items)))]
    return [items[i] for i in rng.permutation(len(items))[:k]]


def rgb_distance(a: Sequence[int], b: Sequence[int]) -> int:
    """L1 distance between two RGB triples."""
    return sum(abs(int(x) - int(y)) for x, y in zip(a, b, strict=True))


def clutter_color(rng: np.random.Generator, avoid: Sequence[Sequence[int]], min_dist: int = 60) -> tuple:
    """A random colour at least ``min_dist`` (L1) from every colour in ``avoid``."""
    while True:
        c = tuple(int(v) for v in rng.integers(30, 226, 3))
        if all(rgb_distance(c, a) >= min_dist for a in avoid):
            return c


def near_color(rng: np.random.Generator, base: Sequence[int], avoid: Sequence[Sequence[int]]) -> tuple:
    """A decoy colour close to ``base`` (differs by 24-48 in one or two channels), never equal to ``avoid``."""
    while True:
        delta = rng.integers(24, 49, 3) * rng.choice([-1, 1], 3) * (rng.random(3) < 0.6)
        c = tuple(int(np.clip(int(v) + int(d), 0, 255)) for v, d in zip(base, delta, strict=True))
        if all(rgb_distance(c, a) >= 20 for a in avoid):
            return c


def grey_background(rng: np.random.Generator, w: int, h: int, lo: int = 200, hi: int = 250,
                    block: int = 16) -> Image.Image:
    """A blocky grey noise background (R == G == B everywhere), cheap even at 4K."""
    gh, gw = h // block + 1, w // block + 1
    grid = rng.integers(lo, hi + 1, (gh, gw), dtype=np.uint8)
    img = Image.fromarray(grid, "L").resize((gw * block, gh * block), Image.NEAREST)
    return img.crop((0, 0, w, h)).convert("RGB")


def draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, size: int, color: Sequence[int]) -> None:
    """Draw an aliased filled ``shape`` of side/diameter ``size`` centred at (cx, cy)."""
    r = size / 2.0
    x0, y0, x1, y1 = int(round(cx - r)), int(round(cy - r)), int(round(cx + r)) - 1, int(round(cy + r)) - 1
    fill = tuple(int(v) for v in color)
    if shape == "circle":
        draw.ellipse([x0, y0, x1, y1], fill=fill)
    elif shape == "square":
        draw.rectangle([x0, y0, x1, y1], fill=fill)
    elif shape == "triangle":  # apex up, base on the bottom row
        draw.polygon([((x0 + x1) / 2, y0), (x0, y1), (x1, y1)], fill=fill)
    elif shape == "diamond":
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        draw.polygon([(mx, y0), (x1, my), (mx, y1), (x0, my)], fill=fill)
    else:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def add_clutter(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int, n: int,
                size_range: tuple[int, int], colors: Sequence[Sequence[int]]) -> None:
    """Draw ``n`` random shapes with colours drawn from ``colors`` anywhere on a ``w`` x ``h`` canvas."""
    xs = rng.integers(0, w, n)
    ys = rng.integers(0, h, n)
    sizes = rng.integers(size_range[0], size_range[1] + 1, n)
    shapes = rng.integers(0, len(SHAPES), n)
    cols = rng.integers(0, len(colors), n)
    for x, y, s, sh, c in zip(xs, ys, sizes, shapes, cols, strict=True):
        draw_shape(draw, SHAPES[sh], x, y, int(s), colors[c])


def clutter_palette(rng: np.random.Generator, n: int, avoid: Sequence[Sequence[int]]) -> list[tuple]:
    """``n`` clutter colours, each far from every key colour in ``avoid``."""
    return [clutter_color(rng, avoid) for _ in range(n)]


def grid_cells(rng: np.random.Generator, w: int, h: int, cell: int, n: int, margin: int = 0) -> list[tuple]:
    """Centres of ``n`` distinct random cells of a ``cell``-pixel grid, so objects never touch."""
    cols, rows = (w - 2 * margin) // cell, (h - 2 * margin) // cell
    if cols * rows < n:
        raise ValueError(f"{n} cells do not fit a {w}x{h} canvas with cell {cell}")
    idx = rng.permutation(cols * rows)[:n]
    return [(margin + (i % cols) * cell + cell / 2, margin + (i // cols) * cell + cell / 2) for i in idx]


def mc_question(stem: str, options: Sequence[str]) -> str:
    """A multiple-choice question: stem, lettered options, and the answer format."""
    lines = [stem, "Options:"] + [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)]
    lines.append("Answer with the option letter.")
    return "\n".join(lines)


def color_phrase(name: str) -> str:
    """'red (RGB 230, 25, 75)': a colour named with its exact value, as questions state it."""
    r, g, b = COLORS[name]
    return f"{name} (RGB {r}, {g}, {b})"


def make_task(family: str, difficulty: str, seed: int, *, question: str, answer: str, grader: str,
              grader_args: Mapping[str, Any], images: Sequence[Image.Image], public: Mapping[str, Any],
              meta: Mapping[str, Any] | None = None) -> Task:
    """Build the frozen :class:`Task` with the id, family and meta fields every family shares."""
    m = {"difficulty": difficulty, "seed": seed}
    m.update(meta or {})
    return Task(
        id=f"{family}-{difficulty}-{seed}",
        question=question,
        answer=answer,
        grader=grader,
        grader_args=MappingProxyType(dict(grader_args)),
        images=tuple(images),
        family=family,
        public=MappingProxyType(dict(public)),
        meta=MappingProxyType(m),
    )


def numeric_chance(lo: int, hi: int, tol: float) -> float:
    """Accuracy of the best blind guess (the middle) when the answer is uniform over integers lo..hi."""
    n = hi - lo + 1
    return min(n, 2 * math.floor(tol) + 1) / n
