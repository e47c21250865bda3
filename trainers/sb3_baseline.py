r"""A stable-baselines3 baseline: PPO choosing among a fixed menu of canned turns, from a small numeric observation.

**What it is.** stable-baselines3 cannot act in text, so :class:`MenuTurnEnv` turns a PyVision environment into a
``Discrete(K)``-action, ``Box``-observation environment. Action ``k`` picks the ``k``-th canned turn:

========================  ================================================================================
action                    the turn sent to the PyVision environment
========================  ================================================================================
``0`` run expert program  the scripted expert's program for this task (``agents.solvers.solver_code``: it
                          reads the pixels and prints ``ANSWER: x``)
``1`` run probe program   ``print(image_clue_0.size)``: a tool call that runs fine and tells nothing
``2 + j`` answer ``j``    ``<answer>\boxed{a_j}</answer>`` with ``a_j`` the j-th answer of a fixed answer menu
                          (option letters ``A, B, ...`` for multiple-choice families, ``0, 1, ...`` otherwise)
========================  ================================================================================

The observation is a float vector: turn / max_turns, tool calls / max_turns, whether the last tool call failed, a
one-hot of the ``ANSWER: x`` the last tool output printed (mapped onto the answer menu), and the first
``max_numbers`` numbers of the last tool output (``sign(x) * log1p(|x|)``, clipped to +-10). The reward is the
PyVision reward unchanged (accuracy plus the accumulative tool bonus). PPO (``train_ppo``) learns which turn to
play from this vector.

**What it is not.** Not a language policy: it writes no code and reads no text; the menu's only informative
program is the scripted expert's, whose printed answer is parsed for it, so the best it can learn is "run the
expert program, then answer what it printed" (or exploit the tool bonus with the probe). It does not see the
question or the image, cannot transfer to a task without an expert program, and its numbers are not comparable to
a model that must write the program itself. It is a sanity baseline for the reward and the environment plumbing,
and the yardstick of what an RL agent with a perfect tool and a trivial decision problem reaches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from agents.solvers import solver_code
from pyvision_envs.protocol import answer_turn, code_turn

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PROBE_PROGRAM = "print(image_clue_0.size)"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ANSWER_LINE = re.compile(r"^ANSWER:\s*(\S+)\s*$", re.MULTILINE)
_CHOICE_FAMILIES = ("visual_search", "spatial", "maze")
N_PROGRAMS = 2


def default_answers(env_id: str, n_numbers: int = 21) -> list[str]:
    """The answer menu for an id: option letters A-D for multiple-choice families, ``0..n_numbers-1`` otherwise."""
    name = env_id.split("/")[-1].lower()
    if any(f.replace("_", "") in name for f in _CHOICE_FAMILIES):
        return list(LETTERS[:4])
    return [str(i) for i in range(n_numbers)]


class MenuTurnEnv(gym.Env[np.ndarray, np.int64]):
    """A PyVision environment seen through a fixed menu of canned turns (see the module docstring).

    Args:
        env_id: A registered PyVision image id (``PyVision/VisualSearch-Easy-v0``).
        env_kwargs: Keywords for ``gym.make`` (``max_turns`` ...).
        answers: The answer menu; default :func:`default_answers`.
        max_numbers: How many numbers of the last tool output the observation carries.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, env_id: str = "PyVision/VisualSearch-Easy-v0", env_kwargs: Mapping[str, Any] | None = None,
                 answers: Sequence[str] | None = None, max_numbers: int = 4) -> None:
        import pyvision_envs  # noqa: F401  (registers the ids)

        self.inner = gym.make(env_id, **dict(env_kwargs or {}))
        self.env_id = env_id
        self.answers = list(answers) if answers is not None else default_answers(env_id)
        if not self.answers:
            raise ValueError("the answer menu is empty; give at least one answer")
        self.max_numbers = max_numbers
        self.max_turns = int(self.inner.unwrapped.config.max_turns)
        self.action_space = spaces.Discrete(N_PROGRAMS + len(self.answers))
        size = 3 + len(self.answers) + max_numbers
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(size,), dtype=np.float32)
        self._info: dict[str, Any] = {}
        self._obs = np.zeros(size, dtype=np.float32)

    def menu(self) -> list[str]:
        """Human-readable labels of the actions, in order."""
        return ["run expert program", "run probe program"] + [f"answer {a}" for a in self.answers]

    def turn_text(self, action: int) -> str:
        """The text of the canned turn ``action`` for the current task."""
        if action == 0:
            code = solver_code(str(self._info.get("family") or ""), self._info.get("task_public") or {})
            return code_turn(code if code is not None else PROBE_PROGRAM)
        if action == 1:
            return code_turn(PROBE_PROGRAM)
        return answer_turn(self.answers[action - N_PROGRAMS])

    def _features(self, text: str, info: Mapping[str, Any]) -> np.ndarray:
        vec = np.zeros(self.observation_space.shape, dtype=np.float32)
        vec[0] = info.get("turn", 0) / self.max_turns
        vec[1] = info.get("tool_calls", 0) / self.max_turns
        vec[2] = float("Error:" in text)
        found = _ANSWER_LINE.findall(text)
        if found and found[-1] in self.answers:
            vec[3 + self.answers.index(found[-1])] = 1.0
        body = text.split("Text Result:", 1)[-1]
        nums = [float(x) for x in _NUMBER.findall(body)[: self.max_numbers]]
        for k, x in enumerate(nums):
            vec[3 + len(self.answers) + k] = max(-10.0, min(10.0, math.copysign(math.log1p(abs(x)), x)))
        return vec

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode of the inner environment (seeded from ours when no seed is given)."""
        super().reset(seed=seed)
        inner_seed = int(self.np_random.integers(2**31 - 1)) if seed is None else seed
        _, info = self.inner.reset(seed=inner_seed, options=options)
        self._info = info
        self._obs = self._features("", info)
        return self._obs.copy(), {"task_id": info.get("task_id", "")}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Play canned turn ``action``; the reward is the PyVision reward."""
        a = int(action)
        if not self.action_space.contains(np.int64(a)):
            raise ValueError(f"action {action!r} is outside the menu of {self.action_space.n} turns")
        obs, reward, terminated, truncated, info = self.inner.step(self.turn_text(a))
        self._obs = self._features(obs.text, info)
        out = {"correct": bool(info.get("correct", False)), "tool_calls": int(info.get("tool_calls", 0))} \
            if terminated or truncated else {}
        return self._obs.copy(), float(reward), bool(terminated), bool(truncated), out

    def close(self) -> None:
        """Close the inner environment and its sandbox."""
        self.inner.close()


@dataclass(frozen=True)
class MenuEval:
    """Held-out results of a menu policy."""

    name: str
    episodes: int
    accuracy: float
    accuracy_se: float
    tool_calls: float
    mean_reward: float


def evaluate_menu_policy(env: MenuTurnEnv, act: Any, seeds: Sequence[int], name: str = "policy") -> MenuEval:
    """Play one episode per seed with ``act(obs) -> action`` and summarize.

    Args:
        env: The menu environment.
        act: A function from observation vector to action (e.g. a PPO model's deterministic ``predict``).
        seeds: Episode seeds (held-out ones: use seeds never seen in training).
        name: Label of the row.
    """
    correct, tools, rewards = [], [], []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        done, total, info = False, 0.0, {}
        while not done:
            obs, r, term, trunc, info = env.step(act(obs))
            total += r
            done = term or trunc
        correct.append(float(info.get("correct", False)))
        tools.append(info.get("tool_calls", 0))
        rewards.append(total)
    n = len(correct)
    acc = sum(correct) / n
    return MenuEval(name, n, acc, math.sqrt(acc * (1 - acc) / max(n, 1)), sum(tools) / n, sum(rewards) / n)


def train_ppo(env: MenuTurnEnv, total_timesteps: int, seed: int = 0, n_steps: int = 64, **ppo_kwargs: Any) -> Any:
    """Train a stable-baselines3 PPO ``MlpPolicy`` on the menu environment; returns the model.

    Args:
        env: The menu environment (wrapped in a single-env ``DummyVecEnv`` by SB3).
        total_timesteps: Environment steps (turns) to train for.
        seed: Seed of PPO and of the episodes it draws.
        n_steps: Rollout length per update.
        **ppo_kwargs: Other ``PPO`` arguments (``learning_rate``, ``ent_coef`` ...).
    """
    from stable_baselines3 import PPO

    kwargs = {"batch_size": min(64, n_steps), "n_epochs": 4, "learning_rate": 3e-3, "ent_coef": 0.01,
              "gamma": 1.0, "verbose": 0, "device": "cpu"}
    kwargs.update(ppo_kwargs)
    model = PPO("MlpPolicy", env, n_steps=n_steps, seed=seed, **kwargs)
    model.learn(total_timesteps=total_timesteps)
    return model
