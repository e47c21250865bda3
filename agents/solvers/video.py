"""Solvers of the video families: real functions that sample frames on demand (see :mod:`agents.solvers`).

The expert never sees frames up front. Its code reads frames of ``video`` (``video_clue_0`` in the sandbox,
decord's interface) through ``video[i]`` and ``video.get_batch([...])``, at most a ``budget`` share of them:

* ``video_timing``: binary search for the first frame that shows the target colour (presence is monotone);
* ``video_counting``: one frame per second (flashes and gaps last at least a second), count off-to-on changes;
* ``video_order``: one frame per second, sort the shapes by the first sampled frame that shows each;
* ``video_motion``: frames spread evenly, the target's centroid in each, the displacement between the first
  (and last) samples matched against the options' directions;
* ``video_spatial``: frames spread evenly; the camera's shift between consecutive samples by matching the
  textured floor, object positions in room pixels (frame position + camera offset), then counts, distances,
  the room's length or a quadrant.

Each prints how many frames it looked at, shows up to ``show_frames`` of them side by side as one figure,
and returns the answer. Colours and names come from the task's public facts, which the question states.
"""

import math

import numpy as np

from agents.solvers import show

SANDBOX_IMPORTS = """
import math

import numpy as np
"""
"""The imports shipped code starts with (the sandbox binds ``show`` itself)."""

# Shipped code holds functions only: a solver keeps its constants inside, and the expert passes every setting.


# ----- helpers (shipped with the solvers that call them) -----
def near(frame, color):
    """Pixels within a small L1 distance of ``color``."""
    diff = np.abs(frame.astype(np.int16) - np.array(color, dtype=np.int16)).sum(axis=-1)
    return diff < 60


def has(frame, color, min_pixels=15):
    """Whether enough pixels of ``color`` are in the frame."""
    return int(near(frame, color).sum()) >= min_pixels


def most(video, budget):
    """The most frames the solver may decode."""
    return max(2, int(len(video) * budget))


def spread(video, budget):
    """The largest evenly spread set of frame indices within the budget."""
    n = len(video)
    m = most(video, budget)
    return sorted(set(int(round(k * (n - 1) / (m - 1))) for k in range(m)))


def per_second(video, budget):
    """About one frame per second (fewer when the budget demands)."""
    n = len(video)
    step = max(int(round(video.get_avg_fps())), -(-n // most(video, budget)))
    return list(range(0, n, step))


def show_some(frames, show_frames):
    """Show up to ``show_frames`` of the frames side by side as one figure."""
    if show_frames > 0 and len(frames) > 0:
        show(np.concatenate(list(frames[:show_frames]), axis=1))


# ----- solvers (named in pyvision_envs/catalog.py) -----
def timing(video, target_color, show_frames, budget):
    """Binary search for the first frame that shows the target colour; its time in seconds."""
    looked = {}

    def seen(i):
        if i not in looked:
            looked[i] = video[i]
        return has(looked[i], target_color)

    lo, hi = 0, len(video) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if seen(mid):
            hi = mid
        else:
            lo = mid
    print("frames looked at:", len(looked))
    show_some([looked[hi]] if hi in looked else [], show_frames)
    return round(hi / video.get_avg_fps(), 2)


def counting(video, target_color, show_frames, budget):
    """One frame per second; the lamp's off-to-on changes."""
    idx = per_second(video, budget)
    frames = video.get_batch(idx)
    lit = [has(f, target_color) for f in frames]
    print("lamp lit at seconds:", [round(idx[k] / video.get_avg_fps(), 1) for k in range(len(lit)) if lit[k]])
    print("frames looked at:", len(idx))
    show_some([frames[k] for k in range(len(lit)) if lit[k]][:1], show_frames)
    return sum(1 for k in range(len(lit)) if lit[k] and (k == 0 or not lit[k - 1]))


def order(video, objects, choices, show_frames, budget):
    """One frame per second; the option that best agrees with the order in which the shapes first show."""
    idx = per_second(video, budget)
    frames = video.get_batch(idx)
    first = {}
    for k in range(len(idx)):
        for obj in objects:
            if obj["name"] not in first and has(frames[k], obj["color"]):
                first[obj["name"]] = k
    seen_order = sorted(first, key=lambda nm: first[nm])
    print("first seen (s):", [(nm, round(idx[first[nm]] / video.get_avg_fps(), 1)) for nm in seen_order])

    def agreement(option):
        names = option.split(", then ")
        return sum(1 for a in range(len(names)) for b in range(a + 1, len(names))
                   if names[a] in first and names[b] in first and first[names[a]] < first[names[b]])

    best = max(range(len(choices)), key=lambda i: agreement(choices[i]))
    print("frames looked at:", len(idx))
    show_some([frames[first[seen_order[0]]]] if seen_order else [], show_frames)
    return "ABCDEFGH"[best]


def motion(video, target_color, choices, show_frames, budget):
    """The target's centroid over evenly spread frames, matched against the options' directions."""
    idx = spread(video, budget)
    frames = video.get_batch(idx)
    pts = []
    for k in range(len(idx)):
        ys, xs = np.nonzero(near(frames[k], target_color))
        if len(xs) >= 15:
            pts.append((float(np.mean(xs)), float(np.mean(ys))))

    steps = {"right": (1, 0), "down-right": (1, 1), "down": (0, 1), "down-left": (-1, 1),
             "left": (-1, 0), "up-left": (-1, -1), "up": (0, -1), "up-right": (1, -1)}  # x right, y down

    def cosine(v, name):
        dx, dy = steps[name]
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
    best = max(range(len(choices)), key=lambda i: score(choices[i]))
    print("frames looked at:", len(idx))
    show_some([frames[0], frames[-1]], show_frames)
    return "ABCDEFGH"[best]


def spatial(video, question_type, view_width_m, objects, show_frames, budget, count_color=(), choices=()):
    """Camera offsets from the textured floor, objects in room pixels, then the asked quantity."""
    idx = spread(video, budget)
    frames = video.get_batch(idx)
    width = frames.shape[2]
    grey = np.mean(frames.astype(np.float32), axis=3)
    offs = [0]
    for k in range(1, len(idx)):
        offs.append(offs[-1] + floor_shift(grey[k - 1], grey[k]))
    m_per_px = view_width_m / width
    if question_type == "count":
        answer = len(places(frames, offs, count_color))
    elif question_type == "room_length":
        dark0 = np.nonzero(np.mean(grey[0], axis=0) < 60)[0]
        dark1 = np.nonzero(np.mean(grey[-1], axis=0) < 60)[0]
        left = int(dark0[dark0 < width // 2].max()) + 1
        right = int(dark1[dark1 > width // 2].min())
        answer = round((offs[-1] + right - left) * m_per_px, 2)
    elif question_type == "distance":
        a, b = [place(frames, offs, obj["color"]) for obj in objects[:2]]
        answer = round(math.hypot(a[0] - b[0], a[1] - b[1]) * m_per_px, 2)
    else:
        a, b, o = [place(frames, offs, obj["color"]) for obj in objects]
        fx, fy, gx, gy = b[0] - a[0], b[1] - a[1], o[0] - a[0], o[1] - a[1]
        ahead, right = gx * fx + gy * fy, gx * -fy + gy * fx
        answer = "ABCD"[list(choices).index(("front" if ahead > 0 else "back") + "-" + ("right" if right > 0 else "left"))]
    print("camera offsets (px):", offs)
    print("frames looked at:", len(idx))
    show_some([frames[len(idx) // 2]], show_frames)
    return answer


def floor_shift(a, b):
    """How many pixels the camera panned right between two grey frames (best match of the floor)."""
    width = a.shape[1]
    errs = [float(np.mean(np.abs(a[:, s:] - b[:, :width - s]))) for s in range(width // 2 + 1)]
    return int(np.argmin(errs))


def blobs(mask):
    """(x, y) centres of the column runs of a mask that lie wholly inside the frame."""
    width = mask.shape[1]
    cols = mask.sum(axis=0) > 0
    out = []
    x = 0
    while x < width:
        if not cols[x]:
            x += 1
            continue
        x0 = x
        while x < width and cols[x]:
            x += 1
        ys, xs = np.nonzero(mask[:, x0:x])
        if len(xs) >= 15 and x0 > 0 and x < width:
            out.append((x0 + float(np.mean(xs)), float(np.mean(ys))))
    return out


def places(frames, offs, color):
    """Objects of ``color`` in room pixels: sightings across frames grouped when within 8 px, averaged."""
    found = sorted((offs[k] + x, y) for k in range(len(offs)) for x, y in blobs(near(frames[k], color)))
    groups = []
    for p in found:
        if groups and p[0] - groups[-1][-1][0] < 8:
            groups[-1].append(p)
        else:
            groups.append([p])
    return [(sum(p[0] for p in g) / len(g), sum(p[1] for p in g) / len(g), len(g)) for g in groups]


def place(frames, offs, color):
    """The most often seen object of ``color``, in room pixels."""
    return max(places(frames, offs, color), key=lambda g: g[2])
