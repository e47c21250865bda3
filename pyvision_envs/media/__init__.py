"""Image and video access: one small :class:`VideoSource` interface, decord first and PyAV as the fallback.

Example:
    >>> from pyvision_envs.media import open_video  # doctest: +SKIP
    >>> with open_video("clip.mp4") as v:  # doctest: +SKIP
    ...     frames = v.get_batch([0, 10, 20])  # [3, H, W, 3] uint8
"""

from __future__ import annotations

import os

from pyvision_envs.media.base import MediaError, VideoError, VideoSource, VideoStats
from pyvision_envs.media.decord_backend import DecordVideoSource, decord_available
from pyvision_envs.media.encode import available_codecs, write_video
from pyvision_envs.media.images import ImageError, load_image
from pyvision_envs.media.pyav_backend import PyAVVideoSource

BACKEND_ENV_VAR = "PYVISION_RL_VIDEO_BACKEND"
_BACKENDS = {"decord": DecordVideoSource, "pyav": PyAVVideoSource}

__all__ = [
    "BACKEND_ENV_VAR", "DecordVideoSource", "ImageError", "MediaError", "PyAVVideoSource", "VideoError",
    "VideoSource", "VideoStats", "available_backends", "available_codecs", "load_image", "open_video",
    "write_video",
]


def available_backends() -> list[str]:
    """Backends usable here, the default first."""
    return (["decord"] if decord_available() else []) + ["pyav"]


def open_video(path: str | os.PathLike[str], backend: str = "auto", **kwargs: object) -> VideoSource:
    """Open a video file for frame-exact random access.

    Args:
        path: The video file.
        backend: ``"decord"``, ``"pyav"`` or ``"auto"``: the ``PYVISION_RL_VIDEO_BACKEND`` environment variable
            if set, else decord where it is installed, else PyAV.
        **kwargs: Passed to the backend's constructor (``num_threads``; ``cache_frames`` for PyAV).

    Returns:
        An open :class:`VideoSource`; close it (or use ``with``) when done.

    Raises:
        ValueError: Unknown backend name.
        VideoError: The file is missing, empty, truncated or undecodable.
    """
    if backend == "auto":
        backend = os.environ.get(BACKEND_ENV_VAR) or available_backends()[0]
    if backend not in _BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; use one of {sorted(_BACKENDS)} or 'auto'")
    if backend == "decord" and not decord_available():
        raise ValueError("backend='decord' but decord is not installed here; use backend='pyav' or 'auto'")
    return _BACKENDS[backend](path, **kwargs)
