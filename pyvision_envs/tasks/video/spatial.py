"""Spatial layout seen by a panning camera (the VSI-Bench analogue): counts, distances, room size, direction.

A camera looks straight down at the floor of a long room and pans at constant speed from the left wall to the
right wall; no single frame shows the whole room. The question states how many metres the camera's view is
wide. Questions, as in VSI-Bench: how many objects of a colour are in the room, the distance between two
objects, the length of the room (numeric: lengths graded with Mean Relative Accuracy as in VSI-Bench, counts
exactly, because MRA's 30% slack lets a constant guess of a small count pass half the time), or, standing at
one object and facing another, in which quadrant a third lies (multiple choice).

To answer, code must put the frames it samples into one room coordinate system: the camera's shift between
two sampled frames can be measured by matching them (the floor is textured), and an object's room position is
its position in a frame plus that frame's camera offset. A tenth of the frames is plenty.

``public``: ``question_type`` ("count", "distance", "room_length" or "direction"), ``view_width_m``,
``objects`` (list of {"name", "color", "shape"} the question names), ``choices`` (direction questions),
``blind_guess`` (numeric questions: the best constant guess for this difficulty and type).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.video import common as c
from pyvision_envs.types import Task

TYPES = ("count", "distance", "room_length", "direction")
QUADRANTS = ("front-left", "front-right", "back-left", "back-right")
WALL_PX = 10
WALL_RGB = (25, 25, 25)
VIEW_M = (2.0, 10.0)


@dataclass(frozen=True)
class Level:
    """Settings of one difficulty."""

    size: tuple[int, int]
    fps: int
    seconds: int
    room_factor: tuple[float, float]
    unique: int
    counts: tuple[int, int]


LEVELS = {
    "easy": Level((240, 180), 10, 10, (2.0, 3.5), 3, (1, 6)),
    "medium": Level((256, 192), 10, 14, (3.0, 5.0), 4, (2, 9)),
    "hard": Level((320, 240), 10, 18, (4.0, 6.5), 5, (3, 12)),
}


@dataclass(frozen=True)
class Thing:
    """An object on the floor, in room pixels."""

    color: str
    shape: str
    x: float
    y: float
    size: int

    @property
    def name(self) -> str:
        """``"red circle"``."""
        return f"{self.color} {self.shape}"


@dataclass(frozen=True)
class Layout:
    """A room: its width in pixels, the view's width in metres, the objects and which colour is counted."""

    room_w: int
    view_m: float
    things: tuple[Thing, ...]
    count_color: str
    count: int


def sample_layout(rng: np.random.Generator, lv: Level) -> Layout:
    """Draw a room layout (no rendering): unique objects plus ``count`` objects of one colour."""
    w, h = lv.size
    room_w = 2 * int(rng.uniform(*lv.room_factor) * w / 2)
    colors = d.pick(rng, list(c.KEY_COLORS), k=lv.unique + 1)
    count = int(rng.integers(lv.counts[0], lv.counts[1] + 1))
    specs = [(col, d.pick(rng, d.SHAPES)) for col in colors[1:]]
    specs += [(colors[0], d.pick(rng, d.SHAPES)) for _ in range(count)]
    things: list[Thing] = []
    for color, shape in specs:
        size = int(rng.integers(16, 27))
        for _ in range(10000):
            x = float(rng.uniform(WALL_PX + size, room_w - WALL_PX - size))
            y = float(rng.uniform(size, h - size))
            if all(_apart(Thing(color, shape, x, y, size), t) for t in things):
                things.append(Thing(color, shape, x, y, size))
                break
        else:  # pragma: no cover - rooms are large enough
            raise ValueError("could not place every object")
    # Log-uniform view width, so that no constant guess of a length is right often (MRA forgives 30%).
    view_m = round(float(np.exp(rng.uniform(np.log(VIEW_M[0]), np.log(VIEW_M[1])))), 1)
    return Layout(room_w, view_m, tuple(things), colors[0], count)


def _apart(a: Thing, b: Thing) -> bool:
    """Objects never touch; objects of one colour are also apart left to right (so columns separate them)."""
    if a.color == b.color and abs(a.x - b.x) < (a.size + b.size) / 2 + 10:
        return False
    return math.hypot(a.x - b.x, a.y - b.y) >= (a.size + b.size) / 2 + 12


def quadrant(at: Thing, facing: Thing, other: Thing) -> tuple[str, float]:
    """Where ``other`` lies for someone at ``at`` facing ``facing`` (top-down, y down), and the angle in degrees."""
    fx, fy = facing.x - at.x, facing.y - at.y
    gx, gy = other.x - at.x, other.y - at.y
    ahead, right = gx * fx + gy * fy, gx * -fy + gy * fx  # right-hand side of (fx, fy) is (-fy, fx) with y down
    angle = math.degrees(math.atan2(right, ahead))
    return f"{'front' if ahead > 0 else 'back'}-{'right' if right > 0 else 'left'}", angle


def _public(t: Thing) -> dict[str, Any]:
    return {"name": t.name, "color": list(c.rgb(t.color)), "shape": t.shape}


def _metres(px: float, lay: Layout, lv: Level) -> float:
    return px * lay.view_m / lv.size[0]


def numeric_answer(qtype: str, lay: Layout, lv: Level, pair: tuple[Thing, Thing] | None = None) -> float:
    """The true value of a numeric question."""
    if qtype == "count":
        return float(lay.count)
    if qtype == "room_length":
        return round(_metres(lay.room_w - 2 * WALL_PX, lay, lv), 2)
    a, b = pair
    return round(_metres(math.hypot(a.x - b.x, a.y - b.y), lay, lv), 2)


def far_pair(rng: np.random.Generator, lay: Layout, lv: Level) -> tuple[Thing, Thing]:
    """Two objects of unique colours, preferably too far apart to share a frame."""
    uniq = [t for t in lay.things if t.color != lay.count_color]
    pairs = [(a, b) for i, a in enumerate(uniq) for b in uniq[i + 1:]]
    far = [p for p in pairs if abs(p[0].x - p[1].x) > 0.6 * lv.size[0]] or pairs
    return far[int(rng.integers(len(far)))]


def direction_triple(rng: np.random.Generator, lay: Layout) -> tuple[Thing, Thing, Thing, str] | None:
    """(at, facing, other, quadrant) with ``other`` at least 15 degrees from every quadrant boundary."""
    uniq = [t for t in lay.things if t.color != lay.count_color]
    for i in rng.permutation(len(uniq) ** 3):
        a, b, o = uniq[i // len(uniq) ** 2], uniq[(i // len(uniq)) % len(uniq)], uniq[i % len(uniq)]
        if len({a.color, b.color, o.color}) < 3:
            continue
        q, angle = quadrant(a, b, o)
        if min(abs(angle - k) for k in (-180, -90, 0, 90, 180)) >= 15:
            return a, b, o, q
    return None


@functools.lru_cache(maxsize=None)
def blind_guesses(difficulty: str, samples: int = 1500) -> dict[str, tuple[float, float]]:
    """Per numeric type: (best constant guess, its accuracy under MRA >= 0.5), from sampled layouts."""
    lv = LEVELS[difficulty]
    rng = np.random.default_rng([7, len(difficulty)])
    values: dict[str, list[float]] = {t: [] for t in TYPES[:3]}
    for _ in range(samples):
        lay = sample_layout(rng, lv)
        for t in values:
            values[t].append(numeric_answer(t, lay, lv, far_pair(rng, lay, lv)))
    out = {}
    for t, vals in values.items():
        arr = np.array(vals)
        candidates = np.unique(np.round(np.quantile(arr, np.linspace(0.05, 0.95, 61)), 1))
        hits = [float(np.mean(np.abs(g - arr) < 0.3 * arr)) for g in candidates]
        best = int(np.argmax(hits))
        out[t] = (float(candidates[best]), hits[best])
    return out


def frames(lay: Layout, lv: Level, rng: np.random.Generator):
    """Render the room once and yield the camera's crops, panning from the left wall to the right wall."""
    w, h = lv.size
    room = c.grey_background(rng, lay.room_w, h).copy()
    room[:, :WALL_PX] = WALL_RGB
    room[:, lay.room_w - WALL_PX:] = WALL_RGB
    sprites = [c.Sprite(t.shape, c.rgb(t.color), t.size, c.still(t.x, t.y), range(1)) for t in lay.things]
    room = next(iter(c.render(room, sprites, 1)))
    n = lv.fps * lv.seconds
    for i in range(n):
        off = round((lay.room_w - w) * i / (n - 1))
        yield np.ascontiguousarray(room[:, off:off + w])


class VideoSpatial(c.VideoTaskFamily):
    """Counts, distances, room size and relative direction from a panning top-down camera."""

    name: ClassVar[str] = "video_spatial"
    version: ClassVar[int] = 1

    @property
    def chance_accuracy(self) -> float:
        """Mean over the four question types: best constant guess for numeric ones, 1/4 for direction."""
        guesses = blind_guesses(self.difficulty)
        lo, hi = LEVELS[self.difficulty].counts
        rates = [1 / (hi - lo + 1), guesses["distance"][1], guesses["room_length"][1], 1 / len(QUADRANTS)]
        return sum(rates) / len(TYPES)

    def generate(self, seed: int) -> Task:
        """Return the task for ``seed``."""
        lv = LEVELS[self.difficulty]
        rng = self.rng(seed)
        qtype = TYPES[int(rng.integers(len(TYPES)))]
        lay = sample_layout(rng, lv)
        triple = direction_triple(rng, lay) if qtype == "direction" else None
        while qtype == "direction" and triple is None:  # rare: no clear-cut triple in this room
            lay = sample_layout(rng, lv)
            triple = direction_triple(rng, lay)
        question, answer, public, grader_args = self._question(rng, qtype, lay, lv, triple)
        public.update(question_type=qtype, view_width_m=lay.view_m)
        render_rng = np.random.default_rng(rng.integers(2**32))
        video = self.video(seed, lv.fps, lambda: frames(lay, lv, render_rng))
        intro = (f"The video is filmed by a camera looking straight down at the floor of a room. The camera pans at "
                 f"a constant speed from the left wall to the right wall; its view is {lay.view_m:g} metres wide. ")
        grader = {"direction": "choice", "count": "numeric"}.get(qtype, "mra")
        return self.make_task(seed, question=intro + question, answer=answer, grader=grader, grader_args=grader_args,
                              video=video, public=public,
                              meta={"room_w_px": lay.room_w, "count": lay.count, "frames": lv.fps * lv.seconds,
                                    "fps": lv.fps})

    def _question(self, rng: np.random.Generator, qtype: str, lay: Layout, lv: Level,
                  triple: tuple | None) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        """(question text, answer, public facts, grader args) for one question type."""
        guess = blind_guesses(self.difficulty).get(qtype, (None, 0.0))[0]
        if qtype == "count":
            q = f"How many {lay.count_color} objects are on the floor of the room? Answer with a number."
            public = {"objects": [], "count_color": list(c.rgb(lay.count_color)),
                      "count_color_name": lay.count_color}
            guess = (lv.counts[0] + lv.counts[1]) // 2
            return q, str(lay.count), {**public, "blind_guess": f"{guess:g}"}, {"abs_tol": 0, "rel_tol": 0}
        if qtype == "room_length":
            q = "How long is the room, from the left wall to the right wall, in metres? Answer with a number."
            value = numeric_answer(qtype, lay, lv)
            return q, f"{value:g}", {"objects": [], "wall_color": list(WALL_RGB), "blind_guess": f"{guess:g}"}, {}
        if qtype == "distance":
            a, b = far_pair(rng, lay, lv)
            q = (f"What is the distance between the centre of the {a.name} and the centre of the {b.name}, in "
                 "metres? Answer with a number.")
            value = numeric_answer(qtype, lay, lv, (a, b))
            return q, f"{value:g}", {"objects": [_public(a), _public(b)], "blind_guess": f"{guess:g}"}, {}
        a, b, o, quad = triple
        stem = (f"Imagine standing at the {a.name} and facing the {b.name}. Where is the {o.name} from you: "
                "front-left, front-right, back-left or back-right?")
        options = list(QUADRANTS)
        public = {"objects": [_public(a), _public(b), _public(o)], "choices": options}
        return d.mc_question(stem, options), d.LETTERS[options.index(quad)], public, {"choices": options}
