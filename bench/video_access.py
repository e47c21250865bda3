"""On-demand frame access against uniform 1 fps sampling, and random-access decode rates per backend.

For the same episodes (same seeds) of each video family it plays:

* the on-demand expert (``video-expert``): no frames up front; its code samples at most a tenth of the
  frames and shows one of them;
* the uniform 1 fps baseline: the same env with ``frames_up_front = ceil(duration)``, i.e. one frame per
  second placed in the prompt (what the paper's base model gets), answered at once;
* the guesser (chance baseline), with ``--accuracy``.

It prints, per family, accuracy, frames decoded (share of the video), visual tokens and env-side seconds per
episode, and the ratios expert / 1 fps. Then it times random access per decoding backend on the same videos:
single random frames, one sorted random batch, and a sequential read, in frames per second.

Run::

    .venv/bin/python bench/video_access.py --episodes 20            # tokens, time, decode rates
    .venv/bin/python bench/video_access.py --accuracy --episodes 200  # plus expert/guesser accuracy
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import numpy as np

from agents.experts import ExpertAgent
from agents.guesser import GuesserAgent
from pyvision_envs import catalog
from pyvision_envs.envs.video import VideoTaskEnv
from pyvision_envs.media import available_backends, open_video
from pyvision_envs.tasks.base import get_family

FAMILIES = [f.name for f in catalog.FAMILIES if f.modality == "video"]


def play(env, agent, seed):
    t0 = time.perf_counter()
    obs, info = env.reset(seed=seed, options={"index": seed})
    agent.reset(obs, info)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        done = terminated or truncated
    info["seconds"] = time.perf_counter() - t0
    return info


def run(family, difficulty, seeds, agent, **env_kw):
    env = VideoTaskEnv(family, difficulty, timeout_s=30.0, **env_kw)
    try:
        return [play(env, agent, s) for s in seeds]
    finally:
        env.close()


def mean(infos, key):
    return statistics.fmean(float(i[key]) for i in infos)


def family_row(family, difficulty, seeds, accuracy):
    fam = get_family(family, difficulty)
    tasks = [fam.generate(s) for s in seeds]  # render and cache first: timings below exclude generation
    expert = run(family, difficulty, seeds, ExpertAgent())
    with open_video(tasks[0].video.path) as v:
        seconds = v.duration_s
    uniform = run(family, difficulty, seeds, GuesserAgent(seed=1), frames_up_front=math.ceil(seconds))
    row = {
        "family": family, "difficulty": difficulty, "episodes": len(seeds), "chance": fam.chance_accuracy,
        "expert_accuracy": mean(expert, "correct"),
        "frames_share_mean": statistics.fmean(i["frames_decoded"] / i["video_frames"] for i in expert),
        "frames_share_max": max(i["frames_decoded"] / i["video_frames"] for i in expert),
        "frames_decoded_mean": mean(expert, "frames_decoded"),
        "expert_tokens": mean(expert, "visual_tokens"), "uniform_tokens": mean(uniform, "visual_tokens"),
        "uniform_tokens_estimate": mean(expert, "uniform_1fps_visual_tokens"),
        "expert_seconds": mean(expert, "seconds"), "uniform_seconds": mean(uniform, "seconds"),
    }
    row["token_ratio"] = row["expert_tokens"] / row["uniform_tokens"]
    row["time_ratio"] = row["expert_seconds"] / row["uniform_seconds"]
    if accuracy:
        row["guesser_accuracy"] = mean(run(family, difficulty, seeds, GuesserAgent(seed=0)), "correct")
    return row


def decode_rates(paths, backend, rng, singles=60, batch=40):
    """Frames per second: single random frames, one sorted random batch, a sequential read of everything."""
    out = {"random_single": 0.0, "random_batch": 0.0, "sequential": 0.0}
    counts = dict.fromkeys(out, 0)
    for path in paths:
        with open_video(path, backend) as v:
            n = v.num_frames
            for name, calls in (("random_single", [[int(i)] for i in rng.integers(0, n, singles)]),
                                ("random_batch", [sorted(int(i) for i in rng.choice(n, min(batch, n), False))]),
                                ("sequential", [list(range(n))])):
                t0 = time.perf_counter()
                for idx in calls:
                    v.get_batch(idx)
                out[name] += time.perf_counter() - t0
                counts[name] += sum(len(c) for c in calls)
    return {k: counts[k] / out[k] for k in out}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--difficulty", default="medium")
    p.add_argument("--families", nargs="*", default=list(FAMILIES))
    p.add_argument("--accuracy", action="store_true", help="also play the guesser (chance baseline)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    seeds = range(args.episodes)
    rows = []
    for family in args.families:
        row = family_row(family, args.difficulty, seeds, args.accuracy)
        rows.append(row)
        if not args.json:
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
    paths = [get_family(f, args.difficulty).generate(s).video.path for f in FAMILIES for s in range(3)]
    rng = np.random.default_rng(0)
    rates = {b: decode_rates(paths, b, rng) for b in available_backends()}
    total = {"expert_tokens": sum(r["expert_tokens"] for r in rows),
             "uniform_tokens": sum(r["uniform_tokens"] for r in rows)}
    total["token_ratio"] = total["expert_tokens"] / total["uniform_tokens"]
    if args.json:
        print(json.dumps({"families": rows, "decode_fps": rates, "total": total}, indent=1))
        return
    print("\nfamily          acc(exp) acc(guess) chance  frames%mean/max  tokens exp/1fps   ratio  s/ep exp/1fps")
    for r in rows:
        guess = f"{r['guesser_accuracy']:.3f}" if "guesser_accuracy" in r else "  -  "
        print(f"{r['family']:<15} {r['expert_accuracy']:.3f}    {guess}      {r['chance']:.3f}  "
              f"{100 * r['frames_share_mean']:5.1f}/{100 * r['frames_share_max']:4.1f}    "
              f"{r['expert_tokens']:6.0f}/{r['uniform_tokens']:6.0f}  {r['token_ratio']:.3f}  "
              f"{r['expert_seconds']:.2f}/{r['uniform_seconds']:.2f}")
    print(f"all families: visual tokens on demand / 1 fps = {total['token_ratio']:.3f}")
    print("\ndecode rate (frames/s) on", len(paths), "task videos:")
    for backend, r in rates.items():
        print(f"  {backend:<7} " + "  ".join(f"{k}={v:,.0f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
