"""A stable-baselines3 baseline: PPO choosing among a fixed menu of canned turns (see trainers/sb3_baseline.py).

Command (from the repository root)::

    .venv/bin/python examples/sb3_baseline.py
    .venv/bin/python examples/sb3_baseline.py --env PyVision/Maze-Easy-v0 --steps 6000 --episodes 200

What it is: PPO (``MlpPolicy``) over ``Discrete(2 + answers)`` actions, "run the scripted expert's program",
"run a probe program that tells nothing", "answer a_j", from a small vector (turn, tool calls, last error, the
``ANSWER: x`` the last tool output printed as a one-hot, the first numbers it printed). The reward is the
environment's own: accuracy plus 0.1 per successful tool call when the answer is right.

What it is not: a language policy. It writes no code and reads no text; the only informative program on its menu is
the scripted expert's, so "run it, then answer what it printed" is the best it can do, and its accuracy is a
ceiling set by that program, not a measure of visual reasoning. Compare it with the main job's RL policy only as
"what RL over the same environment reaches when acting is trivial".

Prints, on the same held-out seeds: the trained PPO policy, a uniformly random menu policy and the scripted menu
policy (expert program, then its answer), with accuracy +- standard error, tool calls per episode, mean reward.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from trainers.sb3_baseline import (  # noqa: E402
    N_PROGRAMS,
    MenuTurnEnv,
    evaluate_menu_policy,
    train_ppo,
)


def scripted(env: MenuTurnEnv):
    """Run the expert program, then answer the option it printed."""
    def act(obs: np.ndarray) -> int:
        onehot = obs[3:3 + len(env.answers)]
        return N_PROGRAMS + int(onehot.argmax()) if onehot.any() else 0
    return act


def main(argv: list[str] | None = None) -> int:
    """Train PPO on the menu environment and print the held-out table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--env", default="PyVision/Maze-Easy-v0", help="PyVision image id (default: %(default)s)")
    p.add_argument("--steps", type=int, default=4096, help="PPO environment steps (default: %(default)s)")
    p.add_argument("--episodes", type=int, default=100, help="held-out episodes per policy (default: %(default)s)")
    p.add_argument("--max-turns", type=int, default=3, help="turns per episode (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    env = MenuTurnEnv(args.env, {"max_turns": args.max_turns})
    print(f"menu ({env.action_space.n} actions): {env.menu()}")
    t0 = time.perf_counter()
    model = train_ppo(env, total_timesteps=args.steps, seed=args.seed, n_steps=128)
    print(f"PPO: {args.steps} steps in {time.perf_counter() - t0:.1f} s")
    seeds = range(1_000_000, 1_000_000 + args.episodes)
    rng = np.random.default_rng(args.seed)
    rows = [
        evaluate_menu_policy(env, lambda o: int(model.predict(o, deterministic=True)[0]), seeds, "PPO"),
        evaluate_menu_policy(env, lambda o: int(rng.integers(env.action_space.n)), seeds, "random menu"),
        evaluate_menu_policy(env, scripted(env), seeds, "scripted menu"),
    ]
    env.close()
    print(f"\nheld-out: {args.episodes} episodes of {args.env} (the same seeds for every row)\n")
    print("| policy | accuracy | tool calls / episode | mean reward |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.accuracy:.3f} +- {r.accuracy_se:.3f} | {r.tool_calls:.2f} | {r.mean_reward:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
