"""The video environments: Gymnasium's checker, the prompt, the cost figures in info, VideoQA, copies."""

import math
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import pyvision_envs  # noqa: F401  (registers the ids)
from pyvision_envs.envs.video import VideoTaskEnv
from pyvision_envs.registration import all_presets
from pyvision_envs.tasks.loaders import DatasetError
from pyvision_envs.tasks.video.loaders import write_demo_dataset
from pyvision_envs.visual_tokens import QWEN25_VL

IDS = [p.id for p in all_presets() if p.entry_point.startswith("pyvision_envs.envs.video:")]
QUICK = [i for i in IDS if not (i.endswith("-Easy-v0") or i.endswith("-Hard-v0"))]
PARAMS = [pytest.param(i, marks=() if i in QUICK else pytest.mark.slow) for i in IDS]
PEEK = "<code>\n```python\nv = video_clue_0\nprint(len(v), v.get_batch([0, 5, 5]).shape, v.get_avg_fps())\n```\n</code>"
ANSWER = "<answer>\n\\boxed{1}\n</answer>"


@pytest.fixture(scope="module", autouse=True)
def video_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYVISION_RL_CACHE", str(tmp_path_factory.mktemp("video-cache")))
        yield


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo_dataset(tmp_path_factory.mktemp("videoqa"), rows=3)


def make(env_id, demo, **kw):
    if env_id.startswith("PyVision/VideoQA"):
        kw.setdefault("data_path", str(demo))
    return gym.make(env_id, **kw)


def test_ids_are_registered():
    assert "PyVision/VideoQA-v0" in pyvision_envs.env_ids()
    assert {"PyVision/VideoTiming-v0", "PyVision/VideoSpatial-Hard-v0"} <= set(pyvision_envs.env_ids())
    assert all(i.startswith("PyVision/Video") for i in IDS) and len(IDS) == 16
    with pytest.raises(TypeError, match="data_path"):
        gym.make("PyVision/VideoQA-v0")


@pytest.mark.parametrize("env_id", PARAMS)
def test_check_env_with_warnings_as_errors(env_id, demo):
    env = make(env_id, demo)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(env.unwrapped)
    finally:
        env.close()


def test_prompt_gives_only_the_video_facts_and_info_counts_frames():
    env = gym.make("PyVision/VideoCounting-Easy-v0")
    obs, info = env.reset(seed=3)
    fps, n = 10, 100
    assert obs.images == () and "video_clue_0" in obs.text and f"{n} frames" in obs.text
    assert "width 160, height 120" in obs.text and f"{fps} frames per second" in obs.text
    assert info["frames_decoded"] == 0 and info["video_frames"] == n and info["visual_tokens"] == 0
    assert info["uniform_1fps_visual_tokens"] == math.ceil(n / fps) * QWEN25_VL(160, 120)
    obs, *_, info = env.step(PEEK)
    assert f"{n} (3, 120, 160, 3) {fps}" in obs.text
    assert info["frames_decoded"] == 3 and info["frames_shown"] == 0
    *_, terminated, truncated, info = env.step(ANSWER)
    assert terminated and info["frames_decoded"] == 3 and "reward_terms" in info
    env.close()


def test_frames_up_front_baseline():
    env = gym.make("PyVision/VideoTiming-Easy-v0", frames_up_front=4)
    obs, info = env.reset(seed=0)
    assert len(obs.images) == 4 and obs.text.count("<image>") == 4 and "frame 79 (t = 7.90 s)" in obs.text
    assert info["frames_shown"] == 4 and info["visual_tokens"] == 4 * QWEN25_VL(160, 120)
    assert info["frames_decoded"] == 0  # the env's own decoding is not the policy's
    env.close()
    with pytest.raises(ValueError, match="frames_up_front"):
        VideoTaskEnv("video_timing", frames_up_front=-1)


def test_pyav_backend_serves_the_same_frames():
    code = "<code>\n```python\nprint(int(video_clue_0.get_batch([3, 40, 59]).sum()))\n```\n</code>"
    sums = []
    for backend in ("decord", "pyav"):
        env = VideoTaskEnv("video_motion", "easy", video_backend=backend)
        env.reset(seed=1)
        obs, *_ = env.step(code)
        sums.append(obs.text)
        env.close()
    assert sums[0] == sums[1] and "Error" not in sums[0]


def test_wrong_family_and_task_without_video():
    with pytest.raises(ValueError, match="image family"):
        VideoTaskEnv("counting")
    env = VideoTaskEnv("video_order", "easy")
    task = env.family.generate(0)
    import dataclasses

    with pytest.raises(ValueError, match="has no video"):
        env.reset(options={"task": dataclasses.replace(task, video=None)})
    env.close()


def test_env_pickles_and_the_copy_plays():
    # (A copy made mid-episode is refused by the core for now: Task's MappingProxyType fields do not pickle.)
    env = VideoTaskEnv("video_timing", "easy")
    twin = pickle.loads(pickle.dumps(env))
    twin.reset(seed=2)
    obs, *_ = twin.step(PEEK)
    assert "(3, 120, 160, 3)" in obs.text
    state = twin.__getstate__()
    assert state["_video"] is None and state["_sandbox"] is None
    twin.close()
    env.close()


def test_videoqa_plays_rows_and_rejects_broken_videos(demo, tmp_path):
    env = gym.make("PyVision/VideoQA-v0", data_path=str(demo))
    obs, info = env.reset(seed=0, options={"index": 2})
    assert info["task_id"] == "video_timing-easy-2" and "video_clue_0" in obs.text
    obs, *_ = env.step(PEEK)
    assert "(3, 120, 160, 3)" in obs.text
    env.close()
    bad = tmp_path / "bad"
    bad.mkdir()
    data = write_demo_dataset(bad, rows=2)
    video = next((bad / "videos").iterdir())
    video.write_bytes(video.read_bytes()[:2000])
    with pytest.raises(DatasetError, match=video.name):
        gym.make("PyVision/VideoQA-v0", data_path=str(data))
    with pytest.warns(UserWarning, match="skipped 1"):
        env = gym.make("PyVision/VideoQA-v0", data_path=str(data), on_bad_row="skip")
    assert len(env.unwrapped.dataset) == 1
    env.close()


def test_episode_is_deterministic_by_seed():
    a, b = VideoTaskEnv("video_spatial", "easy"), VideoTaskEnv("video_spatial", "easy")
    oa, ia = a.reset(seed=9)
    ob, ib = b.reset(seed=9)
    assert oa.text == ob.text and ia["task_id"] == ib["task_id"]
    probe = "<code>\n```python\nprint(int(np.asarray(video_clue_0[7]).astype(np.int64).sum()))\n```\n</code>"
    assert a.step(probe)[0].text == b.step(probe)[0].text
    a.close()
    b.close()
    assert np.isfinite(ia["uniform_1fps_visual_tokens"])


def test_videoqa_bad_row_option_has_the_image_envs_name(demo, tmp_path):
    import shutil

    shutil.copytree(demo.parent, tmp_path, dirs_exist_ok=True)
    data = tmp_path / "data.jsonl"
    data.write_text(data.read_text() + '{"question": "q"}\n')
    with pytest.warns(UserWarning, match="skipped 1"):
        env = gym.make("PyVision/VideoQA-v0", data_path=str(data), on_bad_row="skip")
    assert len(env.unwrapped.dataset) == 3
    env.close()
    with pytest.warns(DeprecationWarning, match=r"on_error=\.\.\.\) is deprecated: pass on_bad_row"):
        with pytest.warns(UserWarning, match="skipped 1"):
            env = gym.make("PyVision/VideoQA-v0", data_path=str(data), on_error="skip")
    assert len(env.unwrapped.dataset) == 3
    env.close()
