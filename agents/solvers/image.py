"""Solvers of the image families: real functions, shipped to the sandbox as source (see :mod:`agents.solvers`).

Each reads only the pixels of ``image`` (``image_clue_0`` in the sandbox) and the task's public facts, prints how
it got there, shows the region it looked at where that helps (unless ``show_frames`` is 0), and returns the
answer. Colours are matched exactly: the generators draw without anti-aliasing.
"""

import collections
import math

import numpy as np
from PIL import Image

from agents.solvers import show

SANDBOX_IMPORTS = """
import collections
import math

import numpy as np
"""
"""The imports shipped code starts with (the sandbox binds ``Image`` and ``show`` itself)."""


# ----- helpers (shipped with the solvers that call them) -----
def pixels(image):
    """One int per pixel (R * 65536 + G * 256 + B): matching a colour is then one comparison."""
    arr = np.asarray(image.convert("RGB"))
    return arr[:, :, 0].astype(np.int32) * 65536 + arr[:, :, 1].astype(np.int32) * 256 + arr[:, :, 2]


def key(rgb):
    """The packed int of a colour."""
    return int(rgb[0]) * 65536 + int(rgb[1]) * 256 + int(rgb[2])


def centre(pts):
    """Mean (row, col) of some pixels (sum-based: ndarray.mean needs a module the sandbox refuses)."""
    return pts.sum(axis=0) / float(len(pts))


def find(packed, rgb):
    """(row, col) of every pixel of exactly this colour."""
    return np.argwhere(packed == key(rgb))


def components(pts):
    """Split pixels into 4-connected blobs."""
    todo = set(zip(pts[:, 0].tolist(), pts[:, 1].tolist(), strict=True))
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


def zoom(image, pts, pad=60):
    """The region around some pixels, enlarged 3x for a closer look."""
    y0, x0 = pts.min(axis=0)
    y1, x1 = pts.max(axis=0)
    box = (max(0, int(x0) - pad), max(0, int(y0) - pad),
           min(image.width, int(x1) + pad + 1), min(image.height, int(y1) + pad + 1))
    crop = image.crop(box)
    return crop.resize((crop.width * 3, crop.height * 3), Image.NEAREST)


def axis_ends(pts):
    """The two extreme points (x, y) of a thin blob along its principal axis."""
    q = pts[:, ::-1].astype(float)
    mid = centre(q)
    vec = np.linalg.eigh(np.cov((q - mid).T))[1][:, -1]
    t = (q - mid) @ vec
    return mid + t.min() * vec, mid + t.max() * vec


# ----- solvers (named in pyvision_envs/catalog.py) -----
def visual_search(image, choices, target_color, question_type, show_frames=1):
    """The target's quadrant or shape: the only pixels of its exact colour."""
    pts = find(pixels(image), target_color)
    print("pixels of the target colour:", len(pts))
    cy, cx = centre(pts)
    if show_frames > 0:
        show(zoom(image, pts))  # the target, enlarged: a PIL image shown directly (a figure costs ~0.3 s)
    if question_type == "shape":
        label = classify(pts)
    else:
        label = ("top" if cy < image.height / 2 else "bottom") + "-" + ("left" if cx < image.width / 2 else "right")
    print(f"target near x={cx:.0f}, y={cy:.0f} in a {image.width}x{image.height} image: {label}")
    return "ABCDEFGH"[choices.index(label)]


visual_search_mix = visual_search  # the same search; only the prior over the target's shape differs


def counting(image, target_color, target_shape):
    """Blobs of the exact colour, classified by shape; the count of the asked shape."""
    blobs = components(find(pixels(image), target_color))
    kinds = collections.Counter(classify(b) for b in blobs)
    print("objects of that exact colour by shape:", dict(kinds))
    return kinds[target_shape]


def spatial(image, choices, objects, show_frames=1):
    """Where the first object lies relative to the second (each found by colour, then shape)."""
    packed = pixels(image)
    found = []
    for obj in objects:
        blobs = components(find(packed, obj["color"]))
        match = [b for b in blobs if classify(b) == obj["shape"]] or sorted(blobs, key=len)[-1:]
        found.append(match[0])
        print(obj["shape"], "of", obj["color"], "at (x, y) =", [int(v) for v in centre(match[0])[::-1]])
    if show_frames > 0:
        views = [zoom(image, blob) for blob in found]
        both = Image.new("RGB", (views[0].width + views[1].width + 12, max(v.height for v in views)),
                         (255, 255, 255))
        both.paste(views[0], (0, 0))
        both.paste(views[1], (views[0].width + 12, 0))
        show(both)  # the two objects side by side, enlarged
    (ya, xa), (yb, xb) = centre(found[0]), centre(found[1])
    label = ("above" if ya < yb else "below") + " and to the " + ("left" if xa < xb else "right") + " of"
    print("the first object is", label, "the second")
    return "ABCD"[choices.index(label)]


def maze(image, rows, cols, start_color, candidate_colors):
    """Breadth-first search over the cells from the start; the candidate it reaches."""
    packed = pixels(image)
    wall = packed == 0
    ys, xs = np.nonzero(wall)
    top, left = ys.min(), xs.min()
    ch, cw = (ys.max() + 1 - top) / int(rows), (xs.max() + 1 - left) / int(cols)

    def cell_of(rgb):
        y, x = centre(find(packed, rgb))
        return int((y - top) // ch), int((x - left) // cw)

    def blocked(r, c, dr, dc):
        """Any wall pixel on the edge between cell (r, c) and its neighbour (r + dr, c + dc)."""
        y = int(top + (r + 0.5 + 0.5 * dr) * ch)
        x = int(left + (c + 0.5 + 0.5 * dc) * cw)
        return bool(wall[y - 3:y + 4, x].any() if dr else wall[y, x - 3:x + 4].any())

    start = cell_of(start_color)
    seen = {start}
    queue = collections.deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            q = (r + dr, c + dc)
            if 0 <= q[0] < rows and 0 <= q[1] < cols and q not in seen and not blocked(r, c, dr, dc):
                seen.add(q)
                queue.append(q)
    cands = [cell_of(rgb) for rgb in candidate_colors]
    reach = [c in seen for c in cands]
    print("start", start, "reaches", len(seen), "cells; candidates", cands, "reachable:", reach)
    return "ABCD"[reach.index(True) if True in reach else 0]


def measurement(image, question_type, colors=None, ray_colors=None, bar_color=None, dot_colors=None,
                bar_units=None):
    """The longest segment, the angle between two rays, or a distance against the scale bar."""
    packed = pixels(image)
    if question_type == "longest":
        lengths = []
        for rgb in colors:
            a, b = axis_ends(find(packed, rgb))
            lengths.append(float(np.hypot(*(b - a))))
        print("segment lengths in pixels:", [round(v, 1) for v in lengths])
        return "ABCDEFGH"[int(np.argmax(lengths))]
    if question_type == "angle":
        (a1, a2), (b1, b2) = [axis_ends(find(packed, rgb)) for rgb in ray_colors]
        pairs = [(np.hypot(*(u - v)), u, v, fu, fv) for u, fu in ((a1, a2), (a2, a1)) for v, fv in ((b1, b2), (b2, b1))]
        gap, u, v, fu, fv = min(pairs, key=lambda t: t[0])
        vertex = (u + v) / 2
        d1, d2 = fu - vertex, fv - vertex
        cosang = float(np.dot(d1, d2) / (np.hypot(*d1) * np.hypot(*d2)))
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cosang))))
        print(f"vertex at x={vertex[0]:.1f}, y={vertex[1]:.1f}; angle {angle:.2f} degrees")
        return str(round(angle))
    bar = find(packed, bar_color)
    bar_px = int(np.ptp(bar[:, 1])) + 1
    c1, c2 = [centre(find(packed, rgb)) for rgb in dot_colors]
    apart = float(np.hypot(*(c1 - c2)))
    dist = apart / bar_px * bar_units
    print(f"scale bar {bar_px} px = {bar_units} units; dots {apart:.1f} px apart = {dist:.2f} units")
    return str(round(dist))


def chart(image, categories, asked, plot_color, series_color, chart, ymax, question_type):
    """Each bar's (or line point's) height against the plot area; then the value, difference or extremum."""
    packed = pixels(image)
    plot = find(packed, plot_color)
    top, bottom = plot[:, 0].min(), plot[:, 0].max() + 1
    left, right = plot[:, 1].min(), plot[:, 1].max() + 1
    series = packed == key(series_color)

    def value(i):
        x = int(left + (i + 0.5) * (right - left) / len(categories))
        ys = np.nonzero(series[top - 8:bottom + 8, x])[0] + top - 8
        y = ys.min() if chart == "bar" else (ys.min() + ys.max() + 1) / 2
        return float(bottom - y) / (bottom - top) * ymax

    values = [value(i) for i in range(len(categories))]
    print("plot area rows", int(top), int(bottom), "cols", int(left), int(right))
    print("read values:", {c: round(float(v), 1) for c, v in zip(categories, values, strict=True)})
    if question_type == "value":
        return str(round(values[categories.index(asked[0])]))
    if question_type == "difference":
        return str(round(values[categories.index(asked[0])] - values[categories.index(asked[1])]))
    best = int(np.argmax(values)) if question_type == "max" else int(np.argmin(values))
    return "ABCDEFGHIJKL"[best]
