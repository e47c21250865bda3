"""The video expert end to end: real env, real sandbox, real decoder; and the guesser as the chance baseline."""

import random

import pytest

from agents.base import make_agent
from agents.experts import ExpertAgent
from agents.guesser import blind_guess
from agents.solvers import solver_code
from pyvision_envs.envs.video import VideoTaskEnv
from pyvision_envs.rewards import grade
from pyvision_envs.tasks.base import get_family
from pyvision_envs.types import Observation

FAMILIES = ("video_timing", "video_counting", "video_order", "video_motion", "video_spatial")


def play(env, agent, seed):
    obs, info = env.reset(seed=seed, options={"index": seed})
    agent.reset(obs, info)
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            return info


def expert_run(family, difficulty, seeds, **agent_kw):
    env = VideoTaskEnv(family, difficulty, timeout_s=30.0)
    agent = ExpertAgent(**agent_kw)
    try:
        return [play(env, agent, s) for s in seeds]
    finally:
        env.close()


def check(infos):
    for info in infos:
        assert info["correct"], (info["task_id"], info["answer_given"])
        assert info["tool_calls"] == 1 and info["tool_errors"] == 0
        assert 0 < info["frames_decoded"] <= 0.10 * info["video_frames"]  # looks at a tenth of the frames at most
        assert info["visual_tokens"] < info["uniform_1fps_visual_tokens"]


@pytest.mark.parametrize("family", FAMILIES)
def test_expert_solves_medium(family):
    check(expert_run(family, "medium", [0, 1]))


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
@pytest.mark.parametrize("family", FAMILIES)
def test_expert_solves_easy_and_hard(family, difficulty):
    check(expert_run(family, difficulty, range(10, 13)))


def test_expert_is_a_registered_agent_and_can_hide_frames():
    assert type(make_agent("video-expert")) is type(make_agent("expert")) is ExpertAgent  # the old name still works
    (info,) = expert_run("video_timing", "easy", [3], show_frames=0)
    assert info["correct"] and info["images_shown"] == 0 and info["visual_tokens"] == 0


def test_expert_code_uses_only_public_facts():
    task = get_family("video_counting", "easy").generate(5)
    code = solver_code("video_counting", task.public)
    assert str(task.public["target_color"]) in code and "video_clue_0" in code
    assert "video_clue_0" not in solver_code("counting", {"target_color": [1, 2, 3], "target_shape": "circle"})


def test_unknown_family_falls_back_to_a_blind_answer():
    agent = ExpertAgent()
    agent.reset(Observation("How many chairs?"), {"family": "vsibench", "task_public": {"blind_guess": "3"}})
    assert agent.act(Observation("How many chairs?"), {}) == "<answer>\n\\boxed{3}\n</answer>"


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_guesser_stays_near_chance(family):
    fam = get_family(family, "easy")
    rng = random.Random(0)
    tasks = [fam.generate(s) for s in range(40)]
    acc = sum(grade(t, blind_guess(t.public, t.question, rng)) for t in tasks) / len(tasks)
    assert acc <= fam.chance_accuracy + 0.25  # 40 draws: a generous binomial margin
