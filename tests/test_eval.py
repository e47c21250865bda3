"""The evaluation stack's files: one odd episode never loses a run (issue 11, item 4)."""

import json

import gymnasium as gym
import pytest

import pyvision_envs  # noqa: F401  (registers the ids)
from pyvision_envs.eval import evaluate
from pyvision_envs.protocol import answer_turn

ENV = "PyVision/Counting-Easy-v0"


class Answers:
    """Answers at once with the given texts, one per episode; raises when it runs out (a crashing agent)."""

    def __init__(self, *answers):
        self.answers, self.episode = list(answers), -1

    def reset(self, observation, info):
        self.episode += 1
        if self.episode >= len(self.answers):
            raise RuntimeError(f"agent crashed in episode {self.episode}")

    def act(self, observation, info):
        return answer_turn(self.answers[self.episode])


def test_a_lone_surrogate_is_replaced_not_raised(tmp_path):
    env = gym.make(ENV)
    try:
        summary, records = evaluate(env, Answers("3", "\ud800odd"), 2, out_dir=tmp_path, progress=False)
    finally:
        env.close()
    assert summary.episodes == 2 and records[1].answer == "\ud800odd"
    md = (tmp_path / "episode_0001" / "transcript.md").read_text(encoding="utf-8")
    assert "?odd" in md and "\ud800" not in md
    lines = (tmp_path / "episodes.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1])["answer"] == "\ud800odd"  # JSON escapes it: the record keeps the exact text
    assert "?odd" in (tmp_path / "index.md").read_text(encoding="utf-8")


def test_a_crash_keeps_the_episodes_already_played(tmp_path):
    env = gym.make(ENV)
    try:
        with pytest.raises(RuntimeError, match="episode 2"):
            evaluate(env, Answers("1", "2"), 4, out_dir=tmp_path, progress=False)
    finally:
        env.close()
    lines = (tmp_path / "episodes.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["index"] for x in lines] == [0, 1]
    assert (tmp_path / "episode_0000" / "transcript.md").exists() and (tmp_path / "episode_0001").is_dir()
