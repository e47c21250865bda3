"""Solver code for the image families: one builder per family, named in :mod:`pyvision_envs.catalog`.

Each builder turns a task's public facts into Python source for the sandbox. The source reads only the
pixels of ``image_clue_0``, prints how it got there, shows the region it looked at where that helps (unless
``show_frames`` is 0), and ends with a line ``ANSWER: <x>`` that the expert reads back on its next turn.
Sandbox rules apply: only allowed imports, no names starting with ``_``, no file I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRELUDE = '''import numpy as np
arr = np.asarray(image_clue_0.convert("RGB"))
H, W = arr.shape[0], arr.shape[1]
# One int per pixel: matching a colour is then one comparison, not a reduction over 3 channels.
packed = arr[:, :, 0].astype(np.int32) * 65536 + arr[:, :, 1].astype(np.int32) * 256 + arr[:, :, 2]


def key(rgb):
    return int(rgb[0]) * 65536 + int(rgb[1]) * 256 + int(rgb[2])


def centre(pts):
    """Mean (row, col) of some pixels (sum-based: ndarray.mean needs a module the sandbox refuses)."""
    return pts.sum(axis=0) / float(len(pts))


def find(rgb):
    """(row, col) of every pixel of exactly this colour."""
    return np.argwhere(packed == key(rgb))


def components(pts):
    """Split pixels into 4-connected blobs."""
    todo = set(zip(pts[:, 0].tolist(), pts[:, 1].tolist()))
    blobs = []
    while todo:
        first = todo.pop()
        stack = [first]
        got = [first]
        while stack:
            y, x = stack.pop()
            for q in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if q in todo:
                    todo.remove(q)
                    stack.append(q)
                    got.append(q)
        blobs.append(np.array(got))
    return blobs


def classify(pts):
    """Shape of a solid blob from how much of its box it fills and its bottom row."""
    ys = pts[:, 0]
    y0, y1 = ys.min(), ys.max()
    fill = len(pts) / float((y1 - y0 + 1) * (np.ptp(pts[:, 1]) + 1))
    if fill > 0.9:
        return "square"
    if fill > 0.68:
        return "circle"
    if np.sum(ys == y1) >= np.sum(ys == (y0 + y1) // 2):
        return "triangle"
    return "diamond"


def zoom(pts, pad=60):
    """The region around some pixels, enlarged 3x for a closer look."""
    y0, x0 = pts.min(axis=0)
    y1, x1 = pts.max(axis=0)
    box = (max(0, int(x0) - pad), max(0, int(y0) - pad), min(W, int(x1) + pad + 1), min(H, int(y1) + pad + 1))
    crop = image_clue_0.crop(box)
    return crop.resize((crop.width * 3, crop.height * 3), Image.NEAREST), box
'''


def visual_search(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``visual_search`` task with public facts ``p`` (``budget`` is unused: one image)."""
    return PRELUDE + f'''
CHOICES = {list(p["choices"])!r}
pts = find({list(p["target_color"])!r})
print("pixels of the target colour:", len(pts))
cy, cx = centre(pts)
view, box = zoom(pts)
if {int(show_frames)} > 0:
    show(view)  # the target, enlarged: a PIL image shown directly (a first matplotlib figure costs ~0.3 s)
if {p["question_type"]!r} == "shape":
    label = classify(pts)
else:
    label = ("top" if cy < H / 2 else "bottom") + "-" + ("left" if cx < W / 2 else "right")
print(f"target near x={{cx:.0f}}, y={{cy:.0f}} in a {{W}}x{{H}} image: {{label}}")
print("ANSWER: " + "ABCDEFGH"[CHOICES.index(label)])
'''


def counting(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``counting`` task with public facts ``p`` (``budget`` is unused: one image)."""
    return PRELUDE + f'''
import collections
blobs = components(find({list(p["target_color"])!r}))
kinds = collections.Counter(classify(b) for b in blobs)
print("objects of that exact colour by shape:", dict(kinds))
print("ANSWER: " + str(kinds[{p["target_shape"]!r}]))
'''


def spatial(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``spatial`` task with public facts ``p`` (``budget`` is unused: one image)."""
    objs = [(list(o["color"]), o["shape"]) for o in p["objects"]]
    return PRELUDE + f'''
CHOICES = {list(p["choices"])!r}
found = []
for rgb, shape in {objs!r}:
    blobs = components(find(rgb))
    match = [b for b in blobs if classify(b) == shape] or sorted(blobs, key=len)[-1:]
    found.append(match[0])
    print(shape, "of", rgb, "at (x, y) =", [int(v) for v in centre(match[0])[::-1]])
views = [zoom(blob)[0] for blob in found]
both = Image.new("RGB", (views[0].width + views[1].width + 12, max(v.height for v in views)), (255, 255, 255))
both.paste(views[0], (0, 0))
both.paste(views[1], (views[0].width + 12, 0))
if {int(show_frames)} > 0:
    show(both)  # the two objects side by side, enlarged
(ya, xa), (yb, xb) = centre(found[0]), centre(found[1])
label = ("above" if ya < yb else "below") + " and to the " + ("left" if xa < xb else "right") + " of"
print("the first object is", label, "the second")
print("ANSWER: " + "ABCD"[CHOICES.index(label)])
'''


def maze(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``maze`` task with public facts ``p`` (``budget`` is unused: one image)."""
    return PRELUDE + f'''
from collections import deque
ROWS, COLS = {int(p["rows"])}, {int(p["cols"])}
wall = packed == 0
ys, xs = np.nonzero(wall)
top, left = ys.min(), xs.min()
ch, cw = (ys.max() + 1 - top) / ROWS, (xs.max() + 1 - left) / COLS


def cell_of(rgb):
    y, x = centre(find(rgb))
    return int((y - top) // ch), int((x - left) // cw)


def blocked(r, c, dr, dc):
    """Any wall pixel on the edge between cell (r, c) and its neighbour (r + dr, c + dc)."""
    y = int(top + (r + 0.5 + 0.5 * dr) * ch)
    x = int(left + (c + 0.5 + 0.5 * dc) * cw)
    return bool(wall[y - 3:y + 4, x].any() if dr else wall[y, x - 3:x + 4].any())


start = cell_of({list(p["start_color"])!r})
seen = {{start}}
queue = deque([start])
while queue:
    r, c = queue.popleft()
    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        q = (r + dr, c + dc)
        if 0 <= q[0] < ROWS and 0 <= q[1] < COLS and q not in seen and not blocked(r, c, dr, dc):
            seen.add(q)
            queue.append(q)
cands = [cell_of(rgb) for rgb in {[list(c) for c in p["candidate_colors"]]!r}]
reach = [c in seen for c in cands]
print("start", start, "reaches", len(seen), "cells; candidates", cands, "reachable:", reach)
print("ANSWER: " + "ABCD"[reach.index(True) if True in reach else 0])
'''


def measurement(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``measurement`` task with public facts ``p`` (``budget`` is unused: one image)."""
    head = '''
import math


def axis_ends(pts):
    """The two extreme points of a thin blob along its principal axis."""
    q = pts[:, ::-1].astype(float)
    mid = centre(q)
    vec = np.linalg.eigh(np.cov((q - mid).T))[1][:, -1]
    t = (q - mid) @ vec
    return mid + t.min() * vec, mid + t.max() * vec
'''
    qtype = p["question_type"]
    if qtype == "longest":
        return PRELUDE + head + f'''
lengths = []
for rgb in {[list(c) for c in p["colors"]]!r}:
    a, b = axis_ends(find(rgb))
    lengths.append(float(np.hypot(*(b - a))))
print("segment lengths in pixels:", [round(v, 1) for v in lengths])
print("ANSWER: " + "ABCDEFGH"[int(np.argmax(lengths))])
'''
    if qtype == "angle":
        return PRELUDE + head + f'''
(a1, a2), (b1, b2) = [axis_ends(find(rgb)) for rgb in {[list(c) for c in p["ray_colors"]]!r}]
pairs = [(np.hypot(*(u - v)), u, v, fu, fv) for u, fu in ((a1, a2), (a2, a1)) for v, fv in ((b1, b2), (b2, b1))]
gap, u, v, fu, fv = min(pairs, key=lambda t: t[0])
vertex = (u + v) / 2
d1, d2 = fu - vertex, fv - vertex
cosang = float(np.dot(d1, d2) / (np.hypot(*d1) * np.hypot(*d2)))
angle = math.degrees(math.acos(max(-1.0, min(1.0, cosang))))
print(f"vertex at x={{vertex[0]:.1f}}, y={{vertex[1]:.1f}}; angle {{angle:.2f}} degrees")
print("ANSWER: " + str(round(angle)))
'''
    return PRELUDE + head + f'''
bar = find({list(p["bar_color"])!r})
bar_px = int(np.ptp(bar[:, 1])) + 1
c1, c2 = [centre(find(rgb)) for rgb in {[list(c) for c in p["dot_colors"]]!r}]
dist = float(np.hypot(*(c1 - c2))) / bar_px * {p["bar_units"]!r}
print(f"scale bar {{bar_px}} px = {p["bar_units"]} units; dots {{np.hypot(*(c1 - c2)):.1f}} px apart = {{dist:.2f}} units")
print("ANSWER: " + str(round(dist)))
'''


def chart(p: Mapping[str, Any], show_frames: int = 1, budget: float = 1.0) -> str:
    """Solver code for a ``chart`` task with public facts ``p`` (``budget`` is unused: one image)."""
    return PRELUDE + f'''
CATS = {list(p["categories"])!r}
ASKED = {list(p["asked"])!r}
plot = find({list(p["plot_color"])!r})
top, bottom = plot[:, 0].min(), plot[:, 0].max() + 1
left, right = plot[:, 1].min(), plot[:, 1].max() + 1
series = packed == key({list(p["series_color"])!r})


def value(i):
    x = int(left + (i + 0.5) * (right - left) / len(CATS))
    ys = np.nonzero(series[top - 8:bottom + 8, x])[0] + top - 8
    y = ys.min() if {p["chart"]!r} == "bar" else (ys.min() + ys.max() + 1) / 2
    return float(bottom - y) / (bottom - top) * {p["ymax"]!r}


values = [value(i) for i in range(len(CATS))]
print("plot area rows", int(top), int(bottom), "cols", int(left), int(right))
print("read values:", {{c: round(float(v), 1) for c, v in zip(CATS, values)}})
qtype = {p["question_type"]!r}
if qtype == "value":
    print("ANSWER: " + str(round(values[CATS.index(ASKED[0])])))
elif qtype == "difference":
    print("ANSWER: " + str(round(values[CATS.index(ASKED[0])] - values[CATS.index(ASKED[1])])))
else:
    best = int(np.argmax(values)) if qtype == "max" else int(np.argmin(values))
    print("ANSWER: " + "ABCDEFGHIJKL"[best])
'''

