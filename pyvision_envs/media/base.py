"""The one small interface every video backend implements, and the errors media access raises.

A :class:`VideoSource` is frame-exact random access into one video file: ``get_batch(indices)`` returns the
frames at exactly those indices (presentation order), as ``uint8`` RGB arrays. The sandbox's ``video_clue_0``
facade calls these methods from the host, so the decoder never runs inside the untrusted worker; every public
method takes the source's lock, which makes one source safe to share between threads.
"""

from __future__ import annotations

import abc
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Refuse a single request larger than this many bytes of decoded RGB (a guard against get_batch(range(10**6))).
MAX_BATCH_BYTES = 1 << 30


class MediaError(Exception):
    """An image or video file could not be used. The message names the file and what is wrong."""


class VideoError(MediaError):
    """A video is missing, empty, truncated or undecodable. The message names the file and the problem."""


@dataclass
class VideoStats:
    """Counters of one source's work since it was opened (or since :meth:`VideoSource.reset_stats`).

    Attributes:
        calls: ``get_batch`` / ``get_frame`` calls served.
        frames_requested: Frames returned to callers (repeats counted).
        frames_decoded: Frames the decoder produced, including those decoded only to reach a seek target
            (exact for PyAV; for decord, which hides its internal work, the distinct frames it returned).
        cache_hits: Frames served from the backend's cache without decoding.
    """

    calls: int = 0
    frames_requested: int = 0
    frames_decoded: int = 0
    cache_hits: int = 0


class VideoSource(abc.ABC):
    """Frame-exact random access into one video file.

    Subclasses implement :meth:`_decode` (sorted, distinct, in-range indices -> frames) and set the metadata
    attributes in ``__init__``. Indices may be negative, counted from the end as in Python.

    Attributes:
        path: The file this source reads.
        backend: The backend's name (``"decord"`` or ``"pyav"``).
        num_frames: Number of frames.
        fps: Average frames per second.
        width: Frame width in pixels.
        height: Frame height in pixels.
        stats: Work counters (:class:`VideoStats`).
    """

    backend: str = ""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.num_frames = 0
        self.fps = 0.0
        self.width = 0
        self.height = 0
        self.stats = VideoStats()
        self._lock = threading.RLock()
        self._closed = False

    # -- subclass hooks -------------------------------------------------------------------------------------
    @abc.abstractmethod
    def _decode(self, indices: list[int]) -> dict[int, np.ndarray]:
        """Return ``{index: HxWx3 uint8 frame}`` for the given sorted distinct valid indices."""

    @abc.abstractmethod
    def _timestamp(self, index: int) -> tuple[float, float]:
        """Return ``(start_s, end_s)`` of a valid index."""

    def _close(self) -> None:
        """Release the decoder (subclasses override)."""

    # -- public API -----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.num_frames

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.path!r}, frames={self.num_frames}, fps={self.fps:g}, "
                f"size={self.width}x{self.height})")

    @property
    def duration_s(self) -> float:
        """Length of the video in seconds (``num_frames / fps``)."""
        return self.num_frames / self.fps if self.fps else 0.0

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        """Decode the frames at ``indices`` (any order, repeats allowed).

        Args:
            indices: Frame indices; negative ones count from the end.

        Returns:
            An ``[N, H, W, 3]`` ``uint8`` array in the order of ``indices``.

        Raises:
            IndexError: An index is out of range.
            TypeError: An index is not an integer.
            ValueError: The request would exceed :data:`MAX_BATCH_BYTES` of decoded frames.
            VideoError: The file could not be decoded at those frames (truncated or corrupt).
        """
        with self._lock:
            self._check_open()
            wanted = [self._normalize(i) for i in indices]
            per_frame = max(1, self.width * self.height * 3)
            if len(wanted) * per_frame > MAX_BATCH_BYTES:
                raise ValueError(f"get_batch asked for {len(wanted)} frames at once; ask for at most "
                                 f"{MAX_BATCH_BYTES // per_frame} frames per call")
            if not wanted:
                return np.zeros((0, self.height, self.width, 3), np.uint8)
            try:
                frames = self._decode(sorted(set(wanted)))
            except (MediaError, IndexError):
                raise
            except Exception as exc:  # backend errors are opaque; say which file and frames failed
                raise VideoError(f"{self.path}: could not decode frames {_span(wanted)} with {self.backend}: "
                                 f"{describe_exception(exc)}. The file is probably truncated or corrupt; "
                                 "re-encode or re-download it.") from exc
            self.stats.calls += 1
            self.stats.frames_requested += len(wanted)
            return np.stack([frames[i] for i in wanted])

    def get_frame(self, index: int) -> np.ndarray:
        """Decode one frame as an ``[H, W, 3]`` ``uint8`` array (see :meth:`get_batch`)."""
        return self.get_batch([index])[0]

    def get_frame_timestamp(self, index: int) -> tuple[float, float]:
        """Return the ``(start_s, end_s)`` presentation interval of frame ``index`` in seconds."""
        with self._lock:
            self._check_open()
            return self._timestamp(self._normalize(index))

    def reset_stats(self) -> None:
        """Zero the work counters."""
        with self._lock:
            self.stats = VideoStats()

    def close(self) -> None:
        """Release the decoder; later calls raise :class:`VideoError`. Closing twice is harmless."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close()

    # -- helpers --------------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise VideoError(f"{self.path}: this video source is closed; open it again with open_video()")

    def _normalize(self, index: object) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"frame index must be an integer, got {type(index).__name__} {index!r}")
        i = int(index)
        if not -self.num_frames <= i < self.num_frames:
            raise IndexError(f"frame index {i} is out of range for a video of {self.num_frames} frames "
                             f"(valid: 0..{self.num_frames - 1}, or negative from the end)")
        return i % self.num_frames


def _span(indices: Sequence[int]) -> str:
    """Short description of a list of indices for error messages."""
    s = sorted(set(indices))
    return str(s) if len(s) <= 6 else f"{s[:3]}...{s[-2:]} ({len(s)} frames)"


def describe_exception(exc: BaseException) -> str:
    """``"Type: first line of the message"`` (decoder libraries put multi-line logs in their messages)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__


def check_file(path: str | os.PathLike[str]) -> str:
    """Raise :class:`VideoError` if ``path`` is not a readable, non-empty file; return it as ``str``."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise VideoError(f"{p}: no such video file; check the path (relative paths are resolved against "
                         f"{os.getcwd()})")
    if not os.path.isfile(p):
        raise VideoError(f"{p}: is not a regular file; give the path of a video file")
    if os.path.getsize(p) == 0:
        raise VideoError(f"{p}: the video file is empty (0 bytes); re-encode or re-download it")
    return p
