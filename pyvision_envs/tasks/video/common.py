"""Shared parts of the synthetic video families: the on-disk cache, the family base class, drawing helpers.

Every family renders its frames with numpy and PIL, one frame at a time, and encodes them to H.264 mp4 with
PyAV (:func:`pyvision_envs.media.write_video`, deterministic). Videos are cached on disk under
``$PYVISION_RL_CACHE/videos/`` (default ``~/.cache/pyvision-rl/videos/``); the file name carries a hash of
(family, difficulty, seed, generator version, codec), so a change to a generator only needs its
``version`` bumped. Files are written to a temporary name and renamed, so concurrent generators (vector envs)
never see a half-written video.

Key colours are saturated and at least 128 apart (L1) from each other, and backgrounds and clutter are grey
(R == G == B), so code can find an object by its colour even after lossy coding: a pixel whose L1 distance to
the key colour is below about 60 belongs to it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from pyvision_envs.tasks import draw as d
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.types import Task, VideoRef

CACHE_ENV_VAR = "PYVISION_RL_CACHE"
KEY_COLORS = ("red", "green", "blue", "yellow", "magenta", "cyan", "orange")
"""Colour names the video families use (RGB values from ``pyvision_envs.tasks.draw.COLORS``)."""
_CODEC = "h264-crf18-ultrafast-gop1s"  # encoder settings: part of the cache key
COLOR_TOLERANCE = 60
"""L1 distance below which a decoded pixel counts as a key colour (lossy coding moves colours by ~10-30)."""
DIRECTIONS = {
    "right": (1, 0), "down-right": (1, 1), "down": (0, 1), "down-left": (-1, 1),
    "left": (-1, 0), "up-left": (-1, -1), "up": (0, -1), "up-right": (1, -1),
}
"""Compass directions in image coordinates (y grows downwards), in clockwise order from "right"."""


def rgb(name: str) -> tuple[int, int, int]:
    """The RGB value of a key colour name."""
    return d.COLORS[name]


def cache_dir() -> Path:
    """Where generated videos live: ``$PYVISION_RL_CACHE/videos`` or ``~/.cache/pyvision-rl/videos``."""
    root = os.environ.get(CACHE_ENV_VAR) or os.path.join(os.path.expanduser("~"), ".cache", "pyvision-rl")
    return Path(root) / "videos"


def cached_video(key: str, frames: Callable[[], Iterable[np.ndarray]], fps: int) -> str:
    """Return the path of the video for ``key``, rendering and encoding it first if it is not cached.

    Args:
        key: Everything the video depends on (family, difficulty, seed, generator version).
        frames: Called only on a cache miss; yields the RGB frames.
        fps: Frame rate.
    """
    from pyvision_envs.media import write_video  # lazy: PyAV is only needed on a cache miss

    digest = hashlib.sha256(f"{key}|{_CODEC}".encode()).hexdigest()[:20]
    prefix = key.split("|", 1)[0]
    path = cache_dir() / f"{prefix}-{digest}.mp4"
    if not path.is_file():
        write_video(path, frames(), fps, gop=fps, crf=18, preset="ultrafast")
    return str(path)


class VideoTaskFamily(TaskFamily):
    """Base of the synthetic video families: a difficulty table and the task record.

    Subclasses set ``name``, ``version`` and ``LEVELS`` (difficulty -> a :class:`Level`), and implement
    ``generate``; they build their ``Task`` with :meth:`make_task`.
    """

    modality: ClassVar[str] = "video"
    version: ClassVar[int] = 1
    """Bump when the frames or answers a seed gives change (it is part of the cache key)."""

    def video(self, seed: int, fps: int, frames: Callable[[], Iterable[np.ndarray]]) -> VideoRef:
        """The cached video of ``seed`` (rendered with ``frames`` on a miss)."""
        key = f"{self.name}|{self.difficulty}|{seed}|v{self.version}"
        return VideoRef(cached_video(key, frames, fps))

    def make_task(self, seed: int, *, question: str, answer: str, grader: str, grader_args: Mapping[str, Any],
                  video: VideoRef, public: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> Task:
        """Build the frozen :class:`Task` (id ``<family>-<difficulty>-<seed>``)."""
        m = {"difficulty": self.difficulty, "seed": seed, "generator_version": self.version}
        m.update(meta or {})
        return Task(id=f"{self.name}-{self.difficulty}-{seed}", question=question, answer=answer, grader=grader,
                    grader_args=MappingProxyType(dict(grader_args)), video=video, family=self.name,
                    public=MappingProxyType(dict(public)), meta=MappingProxyType(m))

    def rng(self, seed: int) -> np.random.Generator:
        """The task's random generator: a function of (family, difficulty, seed) only."""
        return d.task_rng(self.name, self.difficulty, seed)


def grey_background(rng: np.random.Generator, w: int, h: int, lo: int = 95, hi: int = 150,
                    block: int = 16) -> np.ndarray:
    """A static blocky grey noise background as an ``HxWx3`` array (R == G == B)."""
    return np.asarray(d.grey_background(rng, w, h, lo=lo, hi=hi, block=block))


class Sprite:
    """A shape drawn in a colour over a span of frames, at a position given per frame.

    Args:
        shape: One of ``pyvision_envs.tasks.draw.SHAPES``.
        color: RGB triple.
        size: Side or diameter in pixels.
        position: ``frame index -> (cx, cy)``.
        frames: The frame indices (a ``range``) in which it is visible.
    """

    def __init__(self, shape: str, color: tuple[int, int, int], size: int,
                 position: Callable[[int], tuple[float, float]], frames: range) -> None:
        self.shape, self.color, self.size, self.position, self.frames = shape, color, size, position, frames

    def visible(self, i: int) -> bool:
        """Whether the sprite is drawn in frame ``i``."""
        return i in self.frames


def still(x: float, y: float) -> Callable[[int], tuple[float, float]]:
    """A position function that never moves."""
    return lambda i: (x, y)


def linear(x0: float, y0: float, vx: float, vy: float, i0: int = 0) -> Callable[[int], tuple[float, float]]:
    """A position moving ``(vx, vy)`` pixels per frame from ``(x0, y0)`` at frame ``i0``."""
    return lambda i: (x0 + vx * (i - i0), y0 + vy * (i - i0))


def render(background: np.ndarray, sprites: list[Sprite], n_frames: int) -> Iterable[np.ndarray]:
    """Yield ``n_frames`` frames: the background with the visible sprites drawn in list order."""
    base = Image.fromarray(background)
    for i in range(n_frames):
        img = base.copy()
        draw = ImageDraw.Draw(img)
        for s in sprites:
            if s.visible(i):
                x, y = s.position(i)
                d.draw_shape(draw, s.shape, x, y, s.size, s.color)
        yield np.asarray(img)


def grey_movers(rng: np.random.Generator, w: int, h: int, n: int, n_frames: int,
                size: tuple[int, int] = (10, 22)) -> list[Sprite]:
    """``n`` grey clutter shapes drifting across the frame (motion that is never a key colour)."""
    out = []
    for _ in range(n):
        v = int(rng.integers(40, 200))
        speed = rng.uniform(0.5, 2.5) * rng.choice([-1, 1], 2)
        out.append(Sprite(d.pick(rng, d.SHAPES), (v, v, v), int(rng.integers(*size)),
                          _wrap(rng.uniform(0, w), rng.uniform(0, h), speed[0], speed[1], w, h), range(n_frames)))
    return out


def _wrap(x0: float, y0: float, vx: float, vy: float, w: int, h: int) -> Callable[[int], tuple[float, float]]:
    return lambda i: ((x0 + vx * i) % (w + 40) - 20, (y0 + vy * i) % (h + 40) - 20)


def spread_positions(rng: np.random.Generator, w: int, h: int, n: int, min_dist: float,
                     margin: int) -> list[tuple[float, float]]:
    """``n`` random points at least ``min_dist`` apart, ``margin`` pixels inside the frame."""
    for _ in range(1000):
        pts: list[tuple[float, float]] = []
        for _ in range(200 * n):
            p = (float(rng.uniform(margin, w - margin)), float(rng.uniform(margin, h - margin)))
            if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= min_dist ** 2 for q in pts):
                pts.append(p)
                if len(pts) == n:
                    return pts
    raise ValueError(f"could not place {n} points {min_dist} px apart in {w}x{h}")


def seconds(frame: int, fps: int) -> str:
    """A frame's start time as the answer string, e.g. ``"3.4"``."""
    return f"{frame / fps:.2f}".rstrip("0").rstrip(".") if frame else "0"
