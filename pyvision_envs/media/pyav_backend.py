"""The PyAV backend: frame-exact random access by seeking to the nearest keyframe and decoding forward.

At open the container is demuxed once (no decoding) to build the frame index: every packet's presentation
timestamp, sorted, is one frame, and the keyframe packets are the places a seek can land. A request for frame
``i`` then seeks to the last keyframe at or before ``i`` and decodes forward until the frame whose timestamp is
``pts[i]`` comes out, unless the decoder already sits earlier in the same group of pictures, in which case it
simply keeps decoding. A small LRU cache holds recently returned frames.
"""

from __future__ import annotations

import bisect
import os
from collections import OrderedDict
from fractions import Fraction

import numpy as np

from pyvision_envs.media.base import VideoError, VideoSource, check_file, describe_exception


class PyAVVideoSource(VideoSource):
    """A :class:`VideoSource` backed by PyAV (FFmpeg), the fallback where decord is missing.

    Args:
        path: The video file.
        cache_frames: How many recently decoded frames to keep (LRU); 0 disables the cache.
        num_threads: Decoder threads.
    """

    backend = "pyav"

    def __init__(self, path: str | os.PathLike[str], cache_frames: int = 32, num_threads: int = 1) -> None:
        super().__init__(check_file(path))
        import av

        self._av = av
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_frames = max(0, int(cache_frames))
        self._iter = None
        self._pos: int | None = None  # index of the last frame the decoder produced
        try:
            self._container = av.open(self.path)
        except Exception as exc:
            raise VideoError(f"{self.path}: not a readable video ({describe_exception(exc)}); the file may "
                             "be truncated, corrupt or not a video") from exc
        try:
            self._index(num_threads)
            self.get_frame(0)  # prove the stream decodes at all
        except Exception:
            self._container.close()
            raise
        self.reset_stats()

    def _index(self, num_threads: int) -> None:
        """Demux the whole file once to learn every frame's timestamp and where the keyframes are."""
        if not self._container.streams.video:
            raise VideoError(f"{self.path}: the file has no video stream")
        stream = self._stream = self._container.streams.video[0]
        stream.codec_context.thread_count = max(1, num_threads)
        pts: list[int] = []
        keys: list[int] = []
        try:
            for packet in self._container.demux(stream):
                stamp = packet.pts if packet.pts is not None else packet.dts
                if stamp is None or packet.size == 0:
                    continue
                pts.append(int(stamp))
                if packet.is_keyframe:
                    keys.append(int(stamp))
        except Exception as exc:
            raise VideoError(f"{self.path}: reading the packets failed ({describe_exception(exc)}); the file is "
                             "probably truncated or corrupt") from exc
        if not pts:
            raise VideoError(f"{self.path}: the video stream has no frames; re-encode it")
        declared = int(stream.frames or 0)
        if declared > len(pts):
            raise VideoError(f"{self.path}: truncated: the header declares {declared} frames but the file "
                             f"holds only {len(pts)}; re-encode or re-download it")
        pts.sort()
        self._pts = pts
        self._pts_index = {p: i for i, p in enumerate(pts)}
        self._keys = sorted(self._pts_index[k] for k in set(keys)) or [0]
        self._tb = stream.time_base or Fraction(1, 1)
        rate = stream.average_rate or stream.guessed_rate
        if not rate and len(pts) > 1:
            rate = Fraction(len(pts) - 1, 1) / ((pts[-1] - pts[0]) * self._tb)
        self.fps = float(rate or 1.0)
        self.num_frames = len(pts)
        self.width, self.height = int(stream.codec_context.width), int(stream.codec_context.height)
        self._restart(0)

    def _restart(self, key_index: int) -> None:
        """Seek to keyframe ``key_index`` and start a fresh decode iterator there."""
        self._container.seek(self._pts[key_index], stream=self._stream, backward=True, any_frame=False)
        self._iter = self._container.decode(self._stream)
        self._pos = None

    def _decode(self, indices: list[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        todo = []
        for i in indices:
            if i in self._cache:
                self._cache.move_to_end(i)
                out[i] = self._cache[i]
                self.stats.cache_hits += 1
            else:
                todo.append(i)
        wanted = set(todo)
        try:
            for target in todo:
                if target not in out:
                    self._advance_to(target, wanted, out)
        except Exception:
            self._iter, self._pos = None, None  # the decoder state is unknown after an error
            raise
        return out

    def _advance_to(self, target: int, wanted: set[int], out: dict[int, np.ndarray]) -> None:
        """Decode forward to ``target``, keeping every wanted frame passed on the way."""
        key = self._keys[bisect.bisect_right(self._keys, target) - 1]
        for _attempt in range(2):
            # Keep decoding when the decoder is already before the target in the same group of pictures.
            if self._iter is None or self._pos is None or self._pos >= target or key > self._pos + 1:
                self._restart(key)
            for frame in self._iter:
                self.stats.frames_decoded += 1
                idx = self._pts_index.get(frame.pts, (self._pos + 1) if self._pos is not None else key)
                self._pos = idx
                if idx in wanted or idx == target:
                    arr = frame.to_ndarray(format="rgb24")
                    out[idx] = arr
                    self._remember(idx, arr)
                if idx >= target:
                    break
            else:
                self._iter = None  # the stream ended
            if target in out:
                return
            # The seek landed after the target (an open GOP or a lying index): start one keyframe earlier.
            pos = bisect.bisect_left(self._keys, key)
            key = self._keys[max(0, pos - 1)]
            self._iter = None
        raise VideoError(f"{self.path}: frame {target} could not be decoded (the decoder never produced it); "
                         "the file is probably truncated or corrupt")

    def _remember(self, idx: int, arr: np.ndarray) -> None:
        if self._cache_frames:
            self._cache[idx] = arr
            self._cache.move_to_end(idx)
            while len(self._cache) > self._cache_frames:
                self._cache.popitem(last=False)

    def _timestamp(self, index: int) -> tuple[float, float]:
        start = self._pts[index]
        end = self._pts[index + 1] if index + 1 < self.num_frames else None
        start_s = float(start * self._tb)
        end_s = float(end * self._tb) if end is not None else start_s + 1.0 / self.fps
        return start_s, end_s

    def _close(self) -> None:
        self._iter = None
        self._cache.clear()
        self._container.close()
