"""Environment throughput with the scripted experts, beside the same work done without the env layer.

Per image family: episodes/s and steps/s of one env (time inside ``reset``/``step`` only), of a sync and an async vector env, and, in the same
run, the cost of the same work done directly: generating the same tasks with the family, and making the same
sandbox calls (one ``Sandbox`` per episode, the code the env ran) with no env around them. The ratio
``env / (generate + sandbox)`` is what the env layer (parsing, rendering, info, grading, token counting)
adds. Since that ratio is noisy on a shared machine, the env's own time is also split directly: ``layer ms``
is the time inside ``reset``/``step`` minus the task generation and the sandbox calls timed inside them.

    .venv/bin/python bench/env_throughput.py [--episodes 10] [--difficulty medium] [--num-envs 2]
        [--families counting maze] [--no-vector]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import gymnasium as gym

import agents.experts  # noqa: F401  (registers "expert")
import pyvision_envs  # noqa: F401  (registers the ids)
from agents.base import make_agent
from pyvision_envs.catalog import FAMILIES
from pyvision_envs.eval import unbatch_info
from pyvision_envs.protocol import Code, parse_action
from pyvision_envs.registration import DIFFICULTY_SUFFIXES
from pyvision_envs.sandbox import Sandbox
from pyvision_envs.tasks import get_family


@dataclass
class Row:
    family: str
    episodes: int = 0
    steps: int = 0
    correct: int = 0
    env_s: float = 0.0
    gen_s: float = 0.0
    sandbox_s: float = 0.0
    layer_s: float = 0.0
    sync_eps: float = float("nan")
    async_eps: float = float("nan")


def env_id(name: str, difficulty: str) -> str:
    suffix = next(s for s, d in DIFFICULTY_SUFFIXES if d == difficulty)
    return f"PyVision/{name}{suffix}-v0"


def replay_directly(fam, index: int, codes: list[str], row: Row) -> None:
    """The same work without the env: generate the same task, make the same sandbox calls."""
    t0 = time.perf_counter()
    task = fam.generate(index)
    t1 = time.perf_counter()
    with Sandbox(images=list(task.images)) as sb:
        for code in codes:
            sb.run(code)
    row.gen_s += t1 - t0
    row.sandbox_s += time.perf_counter() - t1


def single_env(eid: str, family: str, difficulty: str, episodes: int, seed: int) -> Row:
    """Play with one env; after each episode, replay its work directly (interleaved, so that load drift on a
    shared machine hits both sides alike)."""
    env, agent, row, fam = gym.make(eid), make_agent("expert"), Row(eid), get_family(family, difficulty)
    inner, gen_in_env = env.unwrapped._sample_task, [0.0]

    def timed_sample(options):  # instrument task generation inside the env, to split the env's own time
        t0 = time.perf_counter()
        task = inner(options)
        gen_in_env[0] += time.perf_counter() - t0
        return task

    env.unwrapped._sample_task = timed_sample
    try:
        for i in range(-1, episodes):  # episode -1 warms the fork server and imports up, untimed
            index = seed + i
            gen_in_env[0] = 0.0
            t0 = time.perf_counter()
            obs, info = env.reset(seed=index, options={"index": index})
            elapsed = time.perf_counter() - t0  # time inside env calls only: the agent's thinking is not the env's
            agent.reset(obs, info)
            done, steps = False, 0
            while not done:
                action = agent.act(obs, info)
                t0 = time.perf_counter()
                obs, _, terminated, truncated, info = env.step(action)
                elapsed += time.perf_counter() - t0
                done, steps = terminated or truncated, steps + 1
            ran = [a.code for m in env.unwrapped.episode.messages if m.role == "assistant"
                   for a in [parse_action(m.content)] if isinstance(a, Code)]
            env.unwrapped.close()  # the next reset would close it; do it now so the replay competes with nothing
            if i < 0:
                continue
            row.env_s += elapsed
            row.layer_s += elapsed - gen_in_env[0] - env.unwrapped.episode.exec_seconds
            row.episodes, row.steps, row.correct = row.episodes + 1, row.steps + steps, row.correct + info["correct"]
            replay_directly(fam, index, ran[: info["tool_calls"] + info["tool_errors"]], row)
    finally:
        env.close()
    return row


def vector_env(eid: str, mode: str, num_envs: int, episodes: int, seed: int) -> float:
    """Episodes/s of a vector env of ``num_envs`` experts (next-step autoreset), until ``episodes`` end."""
    kw = {"vector_kwargs": {"shared_memory": False}} if mode == "async" else {}
    envs = gym.make_vec(eid, num_envs=num_envs, vectorization_mode=mode, **kw)
    agents = [make_agent("expert") for _ in range(num_envs)]
    try:
        obs, info = envs.reset(seed=seed)
        for i, a in enumerate(agents):
            a.reset(obs[i], unbatch_info(info, i))
        resetting, done, t0 = [False] * num_envs, 0, 0.0
        while done < episodes + num_envs:  # the first num_envs episodes warm each worker's fork server up
            if done >= num_envs and not t0:
                t0 = time.perf_counter()
            actions = tuple("" if resetting[i] else agents[i].act(obs[i], unbatch_info(info, i)) for i in range(num_envs))
            obs, _, terminated, truncated, info = envs.step(actions)
            for i in range(num_envs):
                if resetting[i]:
                    agents[i].reset(obs[i], unbatch_info(info, i))
                    resetting[i] = False
                elif terminated[i] or truncated[i]:
                    done, resetting[i] = done + 1, True
        return (done - num_envs) / (time.perf_counter() - t0)
    finally:
        envs.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--difficulty", default="medium", choices=[d for _, d in DIFFICULTY_SUFFIXES])
    parser.add_argument("--families", nargs="*", help="task-family names (default: all image families)")
    parser.add_argument("--num-envs", type=int, default=2)
    parser.add_argument("--no-vector", action="store_true")
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for name, family in [(f.stem, f.name) for f in FAMILIES if f.modality == "image"]:
        if args.families and family not in args.families:
            continue
        eid = env_id(name, args.difficulty)
        row = single_env(eid, family, args.difficulty, args.episodes, args.seed)
        if not args.no_vector:
            row.sync_eps = vector_env(eid, "sync", args.num_envs, args.episodes, args.seed)
            row.async_eps = vector_env(eid, "async", args.num_envs, args.episodes, args.seed)
        rows.append(row)
        print(f"done {eid}", flush=True)
    print_table(rows, args)


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    head = (f"{'env':<30} {'eps':>4} {'acc':>5} {'env ep/s':>8} {'steps/s':>8} {'env ms/ep':>9} {'gen ms':>7} "
            f"{'sbx ms':>7} {'ratio':>6} {'layer ms':>8} {'sync ep/s':>9} {'async ep/s':>10}")
    print(f"\nexpert episodes, difficulty {args.difficulty}, vector envs of {args.num_envs}; "
          "ratio = env time / (task generation + the same sandbox calls made directly); "
          "layer ms = env time minus the generation and sandbox time measured inside it")
    print(head)
    print("-" * len(head))
    for r in rows:
        n = max(r.episodes, 1)
        base = r.gen_s + r.sandbox_s
        print(f"{r.family:<30} {r.episodes:>4} {r.correct / n:>5.2f} {r.episodes / r.env_s:>8.2f} "
              f"{r.steps / r.env_s:>8.2f} {1000 * r.env_s / n:>9.1f} {1000 * r.gen_s / n:>7.1f} "
              f"{1000 * r.sandbox_s / n:>7.1f} {r.env_s / base:>6.3f} {1000 * r.layer_s / n:>8.2f} {r.sync_eps:>9.2f} "
              f"{r.async_eps:>10.2f}")


if __name__ == "__main__":
    main()
