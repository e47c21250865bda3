r"""Solver code for the video families: protocol code that samples frames on demand.

One builder per family, named in :mod:`pyvision_envs.catalog`. The expert never sees frames up front. In its first turn it writes Python that runs in the sandbox and reads
frames through ``video_clue_0.get_batch([...])``, looking at no more than a tenth of them:

* ``video_timing``: binary search for the first frame that shows the target colour (presence is monotone);
* ``video_counting``: one frame per second (flashes and gaps last at least a second), count off-to-on changes;
* ``video_order``: one frame per second, sort the shapes by the first sampled frame that shows each;
* ``video_motion``: a tenth of the frames spread evenly, the target's centroid in each, the displacement
  between the first (and last) samples matched against the options' directions;
* ``video_spatial``: a tenth of the frames spread evenly; the camera's shift between consecutive samples by
  matching the textured floor, object positions in room pixels (frame position + camera offset), then
  counts, distances, the room's length or a quadrant.

The code prints ``ANSWER: ...`` (and shows ``show_frames`` of the frames it looked at, side by side, as one
figure); the second turn boxes that answer. Colours and names come from ``info["task_public"]``, the facts
the question already states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.solvers import FRAME_BUDGET

_PRELUDE = """
import math
import numpy as np
V = video_clue_0
N = len(V)
FPS = V.get_avg_fps()
BUDGET = max(2, int(N * {budget}))
MIN_PIXELS = 15

def near(frame, color):
    diff = np.abs(frame.astype(np.int16) - np.array(color, dtype=np.int16)).sum(axis=-1)
    return diff < 60

def has(frame, color):
    return int(near(frame, color).sum()) >= MIN_PIXELS

def spread(m):
    m = max(2, min(m, BUDGET))
    return sorted(set(int(round(k * (N - 1) / (m - 1))) for k in range(m)))

def per_second():
    step = max(int(round(FPS)), -(-N // BUDGET))
    return list(range(0, N, step))
"""

_TIMING = """
TARGET = {target_color}
looked = {{}}
def seen(i):
    if i not in looked:
        looked[i] = V[i]
    return has(looked[i], TARGET)
lo, hi = 0, N - 1
while hi - lo > 1:
    mid = (lo + hi) // 2
    if seen(mid):
        hi = mid
    else:
        lo = mid
KEY = [looked[hi]] if hi in looked else []
ANSWER = round(hi / FPS, 2)
"""

_COUNTING = """
TARGET = {target_color}
idx = per_second()
frames = V.get_batch(idx)
lit = [has(f, TARGET) for f in frames]
ANSWER = sum(1 for k in range(len(lit)) if lit[k] and (k == 0 or not lit[k - 1]))
print("lamp lit at seconds:", [round(idx[k] / FPS, 1) for k in range(len(lit)) if lit[k]])
KEY = [frames[k] for k in range(len(lit)) if lit[k]][:1]
"""

_ORDER = """
OBJECTS = {objects}
CHOICES = {choices}
idx = per_second()
frames = V.get_batch(idx)
first = {{}}
for k in range(len(idx)):
    for name, color in OBJECTS:
        if name not in first and has(frames[k], color):
            first[name] = k
seen_order = sorted(first, key=lambda nm: first[nm])
print("first seen (s):", [(nm, round(idx[first[nm]] / FPS, 1)) for nm in seen_order])
def agreement(option):
    names = option.split(", then ")
    return sum(1 for a in range(len(names)) for b in range(a + 1, len(names))
               if names[a] in first and names[b] in first and first[names[a]] < first[names[b]])
best = max(range(len(CHOICES)), key=lambda i: agreement(CHOICES[i]))
ANSWER = "ABCDEFGH"[best]
KEY = [frames[first[seen_order[0]]]] if seen_order else []
"""

_MOTION = """
TARGET = {target_color}
CHOICES = {choices}
DIRS = {{"right": (1, 0), "down-right": (1, 1), "down": (0, 1), "down-left": (-1, 1),
         "left": (-1, 0), "up-left": (-1, -1), "up": (0, -1), "up-right": (1, -1)}}
idx = spread(BUDGET)
frames = V.get_batch(idx)
pts = []
for k in range(len(idx)):
    ys, xs = np.nonzero(near(frames[k], TARGET))
    if len(xs) >= MIN_PIXELS:
        pts.append((float(np.mean(xs)), float(np.mean(ys))))
def cosine(v, name):
    dx, dy = DIRS[name]
    return (v[0] * dx + v[1] * dy) / (math.hypot(dx, dy) * max(1e-9, math.hypot(v[0], v[1])))
first_leg = (pts[2][0] - pts[0][0], pts[2][1] - pts[0][1])
last_leg = (pts[-1][0] - pts[-3][0], pts[-1][1] - pts[-3][1])
whole = (pts[-1][0] - pts[0][0], pts[-1][1] - pts[0][1])
def score(option):
    legs = option.split(", then ")
    if len(legs) == 2:
        return cosine(first_leg, legs[0]) + cosine(last_leg, legs[1])
    return cosine(whole, legs[0])
print("target positions:", [(round(x), round(y)) for x, y in pts])
best = max(range(len(CHOICES)), key=lambda i: score(CHOICES[i]))
ANSWER = "ABCDEFGH"[best]
KEY = [frames[0], frames[-1]]
"""

_SPATIAL = """
QTYPE = {question_type!r}
VIEW_M = {view_width_m!r}
OBJECTS = {objects}
COUNT_COLOR = {count_color}
CHOICES = {choices}
idx = spread(BUDGET)
frames = V.get_batch(idx)
W = frames.shape[2]
grey = np.mean(frames.astype(np.float32), axis=3)
def shift(a, b):
    errs = [float(np.mean(np.abs(a[:, s:] - b[:, :W - s]))) for s in range(W // 2 + 1)]
    return int(np.argmin(errs))
offs = [0]
for k in range(1, len(idx)):
    offs.append(offs[-1] + shift(grey[k - 1], grey[k]))
def blobs(mask):
    cols = mask.sum(axis=0) > 0
    out = []
    x = 0
    while x < W:
        if not cols[x]:
            x += 1
            continue
        x0 = x
        while x < W and cols[x]:
            x += 1
        ys, xs = np.nonzero(mask[:, x0:x])
        if len(xs) >= MIN_PIXELS and x0 > 0 and x < W:
            out.append((x0 + float(np.mean(xs)), float(np.mean(ys))))
    return out
def places(color):
    found = sorted((offs[k] + x, y) for k in range(len(idx)) for x, y in blobs(near(frames[k], color)))
    groups = []
    for p in found:
        if groups and p[0] - groups[-1][-1][0] < 8:
            groups[-1].append(p)
        else:
            groups.append([p])
    return [(sum(p[0] for p in g) / len(g), sum(p[1] for p in g) / len(g), len(g)) for g in groups]
def place(color):
    return max(places(color), key=lambda g: g[2])
M_PER_PX = VIEW_M / W
if QTYPE == "count":
    ANSWER = len(places(COUNT_COLOR))
elif QTYPE == "room_length":
    dark0 = np.nonzero(np.mean(grey[0], axis=0) < 60)[0]
    dark1 = np.nonzero(np.mean(grey[-1], axis=0) < 60)[0]
    left = int(dark0[dark0 < W // 2].max()) + 1
    right = int(dark1[dark1 > W // 2].min())
    ANSWER = round((offs[-1] + right - left) * M_PER_PX, 2)
elif QTYPE == "distance":
    a, b = place(OBJECTS[0][1]), place(OBJECTS[1][1])
    ANSWER = round(math.hypot(a[0] - b[0], a[1] - b[1]) * M_PER_PX, 2)
else:
    a, b, o = [place(col) for name, col in OBJECTS]
    fx, fy, gx, gy = b[0] - a[0], b[1] - a[1], o[0] - a[0], o[1] - a[1]
    ahead, right = gx * fx + gy * fy, gx * -fy + gy * fx
    quad = ("front" if ahead > 0 else "back") + "-" + ("right" if right > 0 else "left")
    ANSWER = "ABCD"[CHOICES.index(quad)]
print("camera offsets (px):", offs)
KEY = [frames[len(idx) // 2]]
"""

_TAIL = """
print("frames looked at:", {looked})
if {show} > 0 and KEY:
    show(np.concatenate([k for k in KEY[:{show}]], axis=1))
print("ANSWER:", ANSWER)
"""


def _program(body: str, looked: str, public: Mapping[str, Any], show_frames: int, budget: float) -> str:
    """Prelude, the family's body with the public facts filled in, and the tail that shows and answers."""
    facts = {
        "target_color": list(public.get("target_color", [])),
        "choices": list(public.get("choices", [])),
        "objects": [(o["name"], list(o["color"])) for o in public.get("objects", [])],
        "question_type": public.get("question_type", ""),
        "view_width_m": public.get("view_width_m", 1.0),
        "count_color": list(public.get("count_color", [])),
    }
    return (_PRELUDE.format(budget=budget) + body.format(**facts)
            + _TAIL.format(looked=looked, show=int(show_frames))).strip() + "\n"


def timing(public: Mapping[str, Any], show_frames: int = 1, budget: float = FRAME_BUDGET) -> str:
    """Binary search for the first frame that shows the target colour."""
    return _program(_TIMING, "len(looked)", public, show_frames, budget)


def counting(public: Mapping[str, Any], show_frames: int = 1, budget: float = FRAME_BUDGET) -> str:
    """One frame per second; count the lamp's off-to-on changes."""
    return _program(_COUNTING, "len(idx)", public, show_frames, budget)


def order(public: Mapping[str, Any], show_frames: int = 1, budget: float = FRAME_BUDGET) -> str:
    """One frame per second; sort the shapes by the first sample that shows each."""
    return _program(_ORDER, "len(idx)", public, show_frames, budget)


def motion(public: Mapping[str, Any], show_frames: int = 1, budget: float = FRAME_BUDGET) -> str:
    """The target's centroid over a spread of frames, matched against the options' directions."""
    return _program(_MOTION, "len(idx)", public, show_frames, budget)


def spatial(public: Mapping[str, Any], show_frames: int = 1, budget: float = FRAME_BUDGET) -> str:
    """Camera shift between samples, object positions in room pixels, then the asked quantity."""
    return _program(_SPATIAL, "len(idx)", public, show_frames, budget)
