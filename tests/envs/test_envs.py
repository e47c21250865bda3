"""Conformance tests generated from the registry: every PyVision id, Gymnasium's checker plus our invariants."""

import gc
import json
import multiprocessing
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env, data_equivalence
from PIL import Image

import pyvision_envs  # noqa: F401  (registers the ids)
from pyvision_envs.registration import all_presets, env_ids
from pyvision_envs.types import EndReason, Observation, RewardTerms

IDS = env_ids()
# The medium (default) ids run in every quick test pass; the other difficulties are the same class with
# another keyword, so they run as `slow` (still part of `make test`).
QUICK = [i for i in IDS if not (i.endswith("-Easy-v0") or i.endswith("-Hard-v0"))]
PARAMS = [pytest.param(i, marks=() if i in QUICK else pytest.mark.slow) for i in IDS]

ALWAYS = {"turn", "tool_calls", "tool_errors", "images_shown", "end_reason", "visual_tokens", "family", "task_id"}
AT_RESET = {"task_public", "question"}
AT_END = {"reward_terms", "correct", "answer_given"}

# Modality-agnostic turns (image and video envs alike): a call that prints and shows a figure, a malformed
# turn, a failing call, an answer.
SCRIPT = [
    "<code>\n```python\nprint(1 + 1)\nshow(np.zeros((30, 40, 3), dtype=np.uint8))\n```\n</code>",
    "Not sure yet.",
    "<code>\n```python\nprint(undefined_name)\n```\n</code>",
    "<answer>\n\\boxed{0}\n</answer>",
]


def _image_dataset(root):
    rows = []
    for i in range(3):
        Image.new("RGB", (96 + 8 * i, 64), (40 * i, 90, 200)).save(root / f"im{i}.png")
        rows.append({"id": f"row{i}", "question": f"What is the blue channel? ({i})", "answer": "200",
                     "ability": "perception", "data_source": "unit", "image_path": f"im{i}.png"})
    return rows


def _video_dataset(root):
    from pyvision_envs.media.encode import write_video

    rows = []
    for i in range(2):
        frames = [np.full((48, 64, 3), 30 * i + 4 * t, dtype=np.uint8) for t in range(16)]
        write_video(root / f"v{i}.mp4", frames, fps=8)
        rows.append({"id": f"vrow{i}", "question": "How many seconds long is the video?", "answer": "2",
                     "data_source": "unit", "video_path": f"v{i}.mp4"})
    return rows


# Tiny datasets for ids that need ``data_path``, by entry point. A new such id must add its builder here.
DATASETS = {"pyvision_envs.envs.image:ImageQAEnv": _image_dataset,
            "pyvision_envs.envs.video:VideoQAEnv": _video_dataset}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("datasets")


def make(env_id, data_root, **kw):
    preset = next(p for p in all_presets() if p.id == env_id)
    if "data_path" in preset.needs:
        build = DATASETS.get(preset.entry_point)
        assert build, f"{env_id} needs data_path: add a tiny-dataset builder for {preset.entry_point} to DATASETS"
        path = data_root / f"{preset.name}.jsonl"
        if not path.exists():
            folder = data_root / preset.name
            folder.mkdir()
            rows = build(folder)
            for r in rows:  # paths relative to the data file's folder
                for key in ("image_path", "video_path"):
                    if key in r:
                        r[key] = f"{preset.name}/{r[key]}"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        kw.setdefault("data_path", str(path))
    return gym.make(env_id, **kw)


@pytest.mark.parametrize("env_id", PARAMS)
def test_check_env_with_warnings_as_errors(env_id, data_root):
    env = make(env_id, data_root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(env.unwrapped)
    finally:
        env.close()


def _episode(env, seed):
    obs, info = env.reset(seed=seed)
    steps = [(obs, 0.0, False, False, info)]
    for action in SCRIPT:
        steps.append(env.step(action))
        if steps[-1][2] or steps[-1][3]:
            break
    return steps


@pytest.mark.parametrize("env_id", PARAMS)
def test_invariants(env_id, data_root):
    env, twin = make(env_id, data_root, render_mode="ansi"), make(env_id, data_root)
    try:
        steps = _episode(env, seed=5)
        again = _episode(twin, seed=5)
        # determinism by seed: the same observations, rewards, flags and infos, exactly
        assert len(steps) == len(again)
        for a, b in zip(steps, again):
            assert all(data_equivalence(x, y, exact=True) for x, y in zip(a, b))
        rewards = [s[1] for s in steps[1:]]
        final = steps[-1][4]
        assert steps[-1][2] and final["end_reason"] is EndReason.ANSWERED
        assert isinstance(final["reward_terms"], RewardTerms)
        assert sum(rewards) == final["reward_terms"].total  # the return equals the sum of step rewards
        assert ALWAYS | AT_RESET <= set(steps[0][4])
        assert all(ALWAYS <= set(s[4]) for s in steps[1:]) and AT_END <= set(final)
        assert [s[4]["turn"] for s in steps] == list(range(len(steps)))
        assert steps[1][4]["tool_calls"] == 1 and steps[3][4]["tool_errors"] == 1
        assert all(isinstance(s[0], Observation) and s[0] in env.observation_space for s in steps)
        text = env.render()
        assert isinstance(text, str) and final["task_id"] in text and "end: answered" in text
        # a different seed gives a different task (the family or dataset has more than one)
        other = env.reset(seed=6)[1]["task_id"]
        assert other != final["task_id"] or gym.spec(env_id).kwargs.get("family") is None
    finally:
        env.close()
        twin.close()


def _vector_episode(envs):
    obs, info = envs.reset(seed=[1, 2])
    assert isinstance(obs, tuple) and len(obs) == 2 and all(isinstance(o, Observation) for o in obs)
    assert list(info["family"]) == ["counting", "counting"]
    code = SCRIPT[0]
    obs, rewards, terminated, truncated, info = envs.step((code, code))
    assert isinstance(obs, tuple) and not terminated.any() and list(info["tool_calls"]) == [1, 1]
    assert all(len(o.images) == 1 and "Text Result:\n2\n" in o.text for o in obs)
    answer = SCRIPT[-1]
    obs, rewards, terminated, truncated, info = envs.step((answer, "no tags"))
    assert list(terminated) == [True, False] and rewards.dtype == np.float64
    assert info["end_reason"][0] is EndReason.ANSWERED and info["_reward_terms"].tolist() == [True, False]
    # next-step autoreset: env 0 starts a new episode, env 1 goes on
    obs, rewards, terminated, truncated, info = envs.step(("ignored", answer))
    assert info["turn"].tolist() == [0, 3] and "Answer a question" in obs[0].text
    assert list(terminated) == [False, True]


def test_make_vec_sync():
    envs = gym.make_vec("PyVision/Counting-Easy-v0", num_envs=2, vectorization_mode="sync")
    try:
        _vector_episode(envs)
    finally:
        envs.close()


@pytest.mark.parametrize("context", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_make_vec_async(context):
    envs = gym.make_vec("PyVision/Counting-Easy-v0", num_envs=2, vectorization_mode="async",
                        vector_kwargs={"shared_memory": False, "context": context})
    try:
        _vector_episode(envs)
    finally:
        envs.close()


@pytest.mark.parametrize("context", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_make_vec_async_works_with_gymnasiums_default_shared_memory(context):
    # Before: "Using `AsyncVector(..., shared_memory=True)` caused an error" unless the user passed
    # vector_kwargs={"shared_memory": False}.
    envs = gym.make_vec("PyVision/Counting-Easy-v0", num_envs=2, vectorization_mode="async",
                        vector_kwargs={"context": context}, timeout_s=60.0)  # a cold spawned worker is slow
    try:
        assert envs.shared_memory
        _vector_episode(envs)
    finally:
        envs.close()
    helper = [p for p in multiprocessing.active_children() if p.name.startswith("SyncManager")]
    assert len(helper) == 1  # the store's helper process ...
    del envs
    gc.collect()
    helper[0].join(timeout=10)
    assert not helper[0].is_alive()  # ... goes with the vector env


def test_shared_observations_without_copy_are_a_live_view():
    envs = gym.make_vec("PyVision/Counting-Easy-v0", num_envs=2, vectorization_mode="async",
                        vector_kwargs={"copy": False, "context": "fork"})
    try:
        view, _ = envs.reset(seed=[1, 2])
        first = view[0].text
        obs, *_ = envs.step((SCRIPT[0], SCRIPT[0]))
        assert obs is view and view[0].text != first and "Text Result:" in view[0].text and len(view) == 2
    finally:
        envs.close()
