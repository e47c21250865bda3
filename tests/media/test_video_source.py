import threading

import numpy as np
import pytest

from pyvision_envs.media import (
    BACKEND_ENV_VAR,
    PyAVVideoSource,
    VideoError,
    available_backends,
    open_video,
)

from .conftest import FPS, H, N, W, frame_number

BACKENDS = available_backends()


def test_both_backends_are_available_here():
    # The dev environment installs decord; if this fails the decord half of the suite silently shrinks.
    assert BACKENDS == ["decord", "pyav"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_metadata(lossless_mp4, backend):
    with open_video(lossless_mp4, backend) as v:
        assert (v.num_frames, v.width, v.height) == (N, W, H)
        assert len(v) == N
        assert v.fps == pytest.approx(FPS)
        assert v.duration_s == pytest.approx(N / FPS)
        assert v.backend == backend
        start, end = v.get_frame_timestamp(6)
        assert start == pytest.approx(6 / FPS, abs=1e-5) and end == pytest.approx(7 / FPS, abs=1e-5)
        assert v.get_frame_timestamp(-1)[1] == pytest.approx(N / FPS, abs=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_access_is_frame_exact(lossless_mp4, source_frames, backend):
    rng = np.random.default_rng(7)
    with open_video(lossless_mp4, backend) as v:
        for _ in range(5):
            idx = [int(i) for i in rng.integers(-N, N, size=12)]  # unsorted, repeats, negatives
            got = v.get_batch(idx)
            assert got.shape == (12, H, W, 3) and got.dtype == np.uint8
            np.testing.assert_array_equal(got, source_frames[idx])
        np.testing.assert_array_equal(v.get_frame(33), source_frames[33])
        assert v.get_batch([]).shape == (0, H, W, 3)


def test_backends_agree_on_lossy_video_with_b_frames(lossy_mp4):
    rng = np.random.default_rng(11)
    idx = [int(i) for i in rng.permutation(N)[:25]]
    with open_video(lossy_mp4, "decord") as d, open_video(lossy_mp4, "pyav") as p:
        a, b = d.get_batch(idx), p.get_batch(idx)
        np.testing.assert_array_equal(a, b)
        assert [frame_number(f) for f in a] == idx
        for i in (0, 14, 15, 16, N - 1):
            assert d.get_frame_timestamp(i) == pytest.approx(p.get_frame_timestamp(i), abs=1e-5)


def test_pyav_decodes_forward_instead_of_reseeking(lossy_mp4):
    with PyAVVideoSource(lossy_mp4, cache_frames=0) as v:
        for i in range(N):  # one frame at a time, in order: each frame decoded exactly once
            assert frame_number(v.get_frame(i)) == i
        assert v.stats.frames_decoded == N
        v.reset_stats()
        key = max(k for k in _keyframes(lossy_mp4) if k <= 44)
        v.get_frame(44)  # a jump backwards: seek to the keyframe before 44 and decode key..44
        assert v.stats.frames_decoded == 44 - key + 1


def _keyframes(path):
    import av

    with av.open(path) as c:
        packets = sorted((p.pts, p.is_keyframe) for p in c.demux(video=0) if p.size)
    return [i for i, (_, key) in enumerate(packets) if key]


def test_pyav_cache_serves_repeats(lossless_mp4):
    with PyAVVideoSource(lossless_mp4, cache_frames=8) as v:
        v.get_batch([5, 6, 7])
        decoded = v.stats.frames_decoded
        v.get_batch([7, 6, 5])
        assert v.stats.frames_decoded == decoded and v.stats.cache_hits == 3
        assert v.stats.frames_requested == 6 and v.stats.calls == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_indices(lossless_mp4, backend):
    with open_video(lossless_mp4, backend) as v:
        with pytest.raises(IndexError, match="out of range"):
            v.get_batch([0, N])
        with pytest.raises(IndexError):
            v.get_frame(-N - 1)
        with pytest.raises(TypeError, match="integer"):
            v.get_batch([1.5])
        with pytest.raises(ValueError, match="at most"):
            v.get_batch([0] * (1 + (1 << 30) // (W * H * 3)))
    with pytest.raises(VideoError, match="closed"):
        v.get_frame(0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_source_shared_by_threads(lossless_mp4, source_frames, backend):
    errors = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(8):
                idx = [int(i) for i in rng.integers(0, N, size=4)]
                np.testing.assert_array_equal(v.get_batch(idx), source_frames[idx])
        except Exception as exc:  # collected: an assertion in a thread would otherwise be lost
            errors.append(exc)

    with open_video(lossless_mp4, backend) as v:
        threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_open_video_backend_choice(lossless_mp4, monkeypatch):
    monkeypatch.setenv(BACKEND_ENV_VAR, "pyav")
    with open_video(lossless_mp4) as v:
        assert v.backend == "pyav"
    monkeypatch.delenv(BACKEND_ENV_VAR)
    with open_video(lossless_mp4) as v:
        assert v.backend == BACKENDS[0]
    with pytest.raises(ValueError, match="unknown video backend"):
        open_video(lossless_mp4, "opencv")
