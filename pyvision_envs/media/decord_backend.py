"""The decord backend: decord's ``VideoReader``, which is frame-exact for random access (the default)."""

from __future__ import annotations

import os

import numpy as np

from pyvision_envs.media.base import VideoError, VideoSource, check_file, describe_exception


def decord_available() -> bool:
    """Whether ``decord`` can be imported here (it has no wheels for some platforms, e.g. ARM macOS)."""
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


class DecordVideoSource(VideoSource):
    """A :class:`VideoSource` backed by ``decord.VideoReader`` (CPU context).

    Args:
        path: The video file.
        num_threads: Decoder threads (``1`` keeps a shared machine quiet; ``0`` lets FFmpeg choose).
    """

    backend = "decord"

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 1) -> None:
        super().__init__(check_file(path))
        try:
            import decord
        except ImportError as exc:  # pragma: no cover - depends on the platform
            raise ImportError("the decord backend needs `decord`: pip install 'pyvision-rl[video]', "
                              "or use open_video(path, backend='pyav')") from exc
        try:
            self._reader = decord.VideoReader(self.path, ctx=decord.cpu(0), num_threads=num_threads)
            self.num_frames = len(self._reader)
            self.fps = float(self._reader.get_avg_fps())
            # decord tells the frame size only by decoding; that also proves the stream decodes at all
            first = self._reader.get_batch([0]).asnumpy()[0] if self.num_frames > 0 else None
        except Exception as exc:
            raise VideoError(f"{self.path}: not a readable video ({describe_exception(exc)}); the file may "
                             "be truncated, corrupt or not a video") from exc
        if self.num_frames <= 0:
            raise VideoError(f"{self.path}: the video has no frames; re-encode it")
        self.height, self.width = int(first.shape[0]), int(first.shape[1])

    def _decode(self, indices: list[int]) -> dict[int, np.ndarray]:
        batch = self._reader.get_batch(indices).asnumpy()
        self.stats.frames_decoded += len(indices)
        return {i: np.ascontiguousarray(batch[k]) for k, i in enumerate(indices)}

    def _timestamp(self, index: int) -> tuple[float, float]:
        start, end = self._reader.get_frame_timestamp(index)
        return float(start), float(end)

    def _close(self) -> None:
        del self._reader
