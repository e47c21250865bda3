import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from trainers.sb3_baseline import N_PROGRAMS, MenuTurnEnv, default_answers, evaluate_menu_policy, train_ppo

ENV = "PyVision/Maze-Easy-v0"


@pytest.fixture()
def env():
    e = MenuTurnEnv(ENV, {"max_turns": 3})
    yield e
    e.close()


def test_spaces_and_menu(env):
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == N_PROGRAMS + 4
    assert env.menu()[:3] == ["run expert program", "run probe program", "answer A"]
    obs, info = env.reset(seed=3)
    assert obs.shape == env.observation_space.shape and obs.dtype == np.float32 and not obs.any()
    assert info["task_id"].startswith("maze-easy")
    assert default_answers("PyVision/Counting-v0")[:3] == ["0", "1", "2"]
    assert default_answers("PyVision/VisualSearch-Hard-v0") == ["A", "B", "C", "D"]


def test_check_env_passes(env):
    sb3_check_env(env, warn=True)
    gym_check_env(MenuTurnEnv(ENV, {"max_turns": 3}), skip_render_check=True)


def test_expert_program_then_its_answer_is_correct(env):
    for seed in range(3):
        env.reset(seed=seed)
        obs, reward, term, trunc, _ = env.step(0)  # run the expert program
        assert reward == 0.0 and not (term or trunc)
        assert obs[1] == pytest.approx(1 / 3) and obs[2] == 0.0  # one successful tool call, no error
        onehot = obs[3:3 + len(env.answers)]
        assert onehot.sum() == 1.0  # the program printed "ANSWER: x"; x is one-hot in the observation
        obs, reward, term, trunc, info = env.step(N_PROGRAMS + int(onehot.argmax()))
        assert term and info["correct"] and reward == pytest.approx(1.1)  # accuracy + 0.1 tool bonus


def test_probe_tells_nothing_but_counts_as_a_tool_call(env):
    env.reset(seed=0)
    obs, _, _, _, _ = env.step(1)
    assert obs[3:3 + len(env.answers)].sum() == 0 and obs[1] > 0
    assert obs[3 + len(env.answers)] > 0  # the image size printed by the probe shows up as numbers


def test_bad_action_is_refused(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside the menu"):
        env.step(99)


@pytest.mark.slow
def test_ppo_trains_a_few_hundred_steps(env):
    model = train_ppo(env, total_timesteps=256, seed=0, n_steps=64)
    assert model.num_timesteps >= 256
    act = lambda o: int(model.predict(o, deterministic=True)[0])  # noqa: E731
    report = evaluate_menu_policy(env, act, seeds=range(10**6, 10**6 + 5), name="ppo")
    assert report.episodes == 5 and 0.0 <= report.accuracy <= 1.0 and 0.0 <= report.tool_calls <= 3.0
    expert = evaluate_menu_policy(env, _scripted(env), seeds=range(10**6, 10**6 + 5), name="scripted")
    assert expert.accuracy == 1.0 and expert.tool_calls == 1.0  # the menu can solve every task


def _scripted(env):
    def act(obs):
        onehot = obs[3:3 + len(env.answers)]
        return N_PROGRAMS + int(onehot.argmax()) if onehot.any() else 0
    return act
