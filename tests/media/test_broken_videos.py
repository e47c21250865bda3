"""Missing, empty, truncated and corrupt files: each backend raises VideoError naming the file."""

from pathlib import Path

import pytest

from pyvision_envs.media import VideoError, available_backends, open_video, write_video

from .conftest import FPS, N, make_frame

BACKENDS = available_backends()


@pytest.fixture(scope="module")
def faststart_bytes(tmp_path_factory):
    """A video with its index (moov) before the data, so a cut file still opens and fails at decode."""
    import av

    path = tmp_path_factory.mktemp("fs") / "fs.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        s.options = {"g": "10"}
        for i in range(N):
            for p in s.encode(av.VideoFrame.from_ndarray(make_frame(i), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path.read_bytes()


def _expect_error(path, backend, pattern):
    with pytest.raises(VideoError, match=pattern) as info:
        with open_video(path, backend) as v:
            v.get_batch(list(range(len(v))))
    assert str(path) in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_and_empty(tmp_path, backend):
    _expect_error(tmp_path / "nope.mp4", backend, "no such video file")
    (tmp_path / "empty.mp4").write_bytes(b"")
    _expect_error(tmp_path / "empty.mp4", backend, "empty")
    _expect_error(tmp_path, backend, "not a regular file")


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_a_video(tmp_path, backend):
    (tmp_path / "text.mp4").write_text("hello, I am not a video\n" * 100)
    _expect_error(tmp_path / "text.mp4", backend, "not a readable video")


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_with_index_at_end(tmp_path, lossy_mp4, backend):
    data = Path(lossy_mp4).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    _expect_error(tmp_path / "cut.mp4", backend, "truncated|corrupt")


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_with_index_at_front(tmp_path, faststart_bytes, backend):
    (tmp_path / "cut.mp4").write_bytes(faststart_bytes[: len(faststart_bytes) // 2])
    _expect_error(tmp_path / "cut.mp4", backend, "truncated|corrupt")


@pytest.mark.parametrize("backend", BACKENDS)
def test_corrupt_payload(tmp_path, faststart_bytes, backend):
    data = bytearray(faststart_bytes)
    start = len(data) // 3
    data[start:start + 3000] = b"\x55" * 3000
    (tmp_path / "bad.mp4").write_bytes(bytes(data))
    _expect_error(tmp_path / "bad.mp4", backend, "truncated|corrupt")


def test_write_video_is_atomic_and_deterministic(tmp_path):
    frames = [make_frame(i) for i in range(20)]
    a = write_video(tmp_path / "a.mp4", frames, FPS)
    write_video(tmp_path / "c.mp4", frames[::-1], FPS)  # dirty the allocator between the two
    b = write_video(tmp_path / "b.mp4", iter(frames), FPS)
    assert Path(a).read_bytes() == Path(b).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4", "c.mp4"]  # no temp files left
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", [make_frame(0)[:63]], FPS)
    with pytest.raises(ValueError, match="no frames"):
        write_video(tmp_path / "none.mp4", [], FPS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4", "c.mp4"]
