"""Writing videos: deterministic H.264 (or MPEG-4 part 2) encoding with PyAV, written atomically.

Used by the synthetic video task families and by tests that need real mp4 files. The same frames and settings
give the same bytes (one encoder thread, and x264's assembly off: with it on, x264 reads uninitialised
padding and two encodes in one process can differ), and the file appears under its final name
only once it is complete (written to a temporary name in the same folder, then renamed), so a crashed or
concurrent writer never leaves a half-written video behind under the real name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

import numpy as np


def available_codecs() -> set[str]:
    """Video encoders this PyAV build has, among the ones :func:`write_video` knows how to drive."""
    import av

    return {c for c in ("libx264", "libx264rgb", "mpeg4") if c in av.codecs_available}


# x264 with its SIMD code reads uninitialised frame padding; without it the output is bit-exact (~15% slower).
_EXACT = {"x264-params": "asm=0"}


def _settings(codec: str, lossless: bool, gop: int, crf: int, preset: str) -> tuple[str, str, dict[str, str]]:
    """Pick ``(codec, pix_fmt, options)``."""
    have = available_codecs()
    if lossless and "libx264rgb" in have:
        return "libx264rgb", "rgb24", {"qp": "0", "g": str(gop), "bf": "0", "preset": "veryfast", **_EXACT}
    if codec == "auto":
        codec = "libx264" if "libx264" in have else "mpeg4"
    if codec not in have:
        raise ValueError(f"codec {codec!r} is not in this PyAV build (it has {sorted(have)}); use codec='auto'")
    if codec == "libx264":
        opts = {"crf": "0" if lossless else str(crf), "g": str(gop), "preset": preset, **_EXACT}
        return codec, "yuv444p" if lossless else "yuv420p", opts
    # MPEG-4 part 2 has no lossless mode; qscale 2 is close to it.
    return codec, "yuv420p", {"g": str(gop), "qscale": "2" if lossless else "4"}


def write_video(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float, *,
                codec: str = "auto", lossless: bool = False, gop: int = 12, crf: int = 18,
                preset: str = "veryfast") -> str:
    """Encode RGB frames to an mp4 file, atomically.

    Args:
        path: Destination (``.mp4``). Its folder is created if missing.
        frames: ``HxWx3`` ``uint8`` RGB frames, all the same size (even width and height).
        fps: Frames per second (an integer rate is stored exactly).
        codec: ``"auto"`` (libx264 if the build has it, else mpeg4), ``"libx264"`` or ``"mpeg4"``.
        lossless: Encode losslessly where possible (libx264rgb, QP 0): decoded frames equal the input.
        gop: Keyframe interval in frames (random access decodes at most this many frames per seek).
        crf: x264 quality for lossy encoding (lower is better).
        preset: x264 speed preset (``"ultrafast"`` ... ``"veryslow"``).

    Returns:
        The path written, as ``str``.

    Raises:
        ValueError: No frames, frames of different sizes, odd sizes, or a codec this build lacks.
    """
    import av

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    codec, pix_fmt, options = _settings(codec, lossless, gop, crf, preset)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".mp4", dir=folder)
    os.close(fd)
    count = 0
    try:
        with av.open(tmp, "w", format="mp4") as container:
            stream = None
            for frame in frames:
                frame = np.ascontiguousarray(frame, dtype=np.uint8)
                if stream is None:
                    stream = _add_stream(container, codec, pix_fmt, options, fps, frame.shape)
                elif frame.shape != (stream.height, stream.width, 3):
                    raise ValueError(f"frame {count} has shape {frame.shape}, expected "
                                     f"{(stream.height, stream.width, 3)}")
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
                count += 1
            if stream is None:
                raise ValueError(f"{path}: no frames to encode")
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _add_stream(container, codec: str, pix_fmt: str, options: dict[str, str], fps: float, shape: tuple):
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"frames must be HxWx3 RGB arrays, got shape {shape}")
    h, w = int(shape[0]), int(shape[1])
    if h % 2 or w % 2:
        raise ValueError(f"frame size {w}x{h} must have even width and height for {codec}")
    rate = int(fps) if float(fps).is_integer() else round(float(fps), 3)
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
    stream.options = options
    stream.codec_context.thread_count = 1  # x264 with one thread is bit-exact across runs
    return stream
