"""Real mp4 files encoded with PyAV for the media tests."""

from __future__ import annotations

import numpy as np
import pytest

from pyvision_envs.media import write_video

W, H, N, FPS = 96, 64, 60, 12


def make_frame(i: int) -> np.ndarray:
    """A frame whose index is written in 8 binary 8x8 blocks along the top, over a moving gradient."""
    y, x = np.mgrid[0:H, 0:W]
    frame = np.stack([(x * 2 + i * 3) % 256, (y * 3 + i) % 256, np.full_like(x, (i * 7) % 256)], -1)
    frame = frame.astype(np.uint8)
    frame[20:40, (i * 2) % (W - 20):(i * 2) % (W - 20) + 20] = 255
    for bit in range(8):
        frame[0:8, bit * 8:bit * 8 + 8] = 255 if (i >> bit) & 1 else 0
    return frame


def frame_number(frame: np.ndarray) -> int:
    """Read back the index :func:`make_frame` wrote (robust to lossy coding)."""
    return sum(1 << bit for bit in range(8) if frame[1:7, bit * 8 + 1:bit * 8 + 7].mean() > 128)


@pytest.fixture(scope="session")
def source_frames() -> np.ndarray:
    return np.stack([make_frame(i) for i in range(N)])


@pytest.fixture(scope="session")
def lossless_mp4(tmp_path_factory, source_frames) -> str:
    """Lossless H.264 (libx264rgb, QP 0) with a keyframe every 10 frames: decoded frames equal the source."""
    return write_video(tmp_path_factory.mktemp("v") / "lossless.mp4", source_frames, FPS, lossless=True, gop=10)


@pytest.fixture(scope="session")
def lossy_mp4(tmp_path_factory, source_frames) -> str:
    """Ordinary H.264 (yuv420p, B-frames on by x264 default), keyframe every 15 frames."""
    return write_video(tmp_path_factory.mktemp("v") / "lossy.mp4", source_frames, FPS, gop=15)
