"""Seconds per rollout and per update: our GRPO trainer against TRL's GRPOTrainer, measured in the same run.

Both trainers get the same model (the ``tiny`` preset, random weights, float32 on CPU), the same prompts (the first
user message of ``PyVision/VisualSearch-Easy-v0`` episodes, ~450 tokens, rendered by the same chat template), the
same number of prompts per step and group size G, the same completion limit, sampling at temperature 1 without
top-k/top-p, one single-turn generation per step and one optimizer step on it (no KL, clip 0.2, token-level
loss). Ours is ``GRPOTrainer.train_step`` in ``mode=none`` (plain GRPO: nothing filtered), with ``max_turns=1`` so
the environment only parses and grades the answer; TRL's reward is a trivial function. A random model rarely
stops early, so both generate close to the limit; tokens per rollout are printed next to the times.

Times: ours from the trainer's own ``time/rollout_s`` and ``time/update_s``; TRL's generation phase
(``_generate_and_score_completions``: generation, reward, advantages) and the rest of its optimizer step (loss
forward, backward, optimizer; measured from step begin to step end by a callback). Ours runs before and after TRL
(pooled), so a load change on a shared machine biases neither side; medians and minima over the measured steps
after warm-up steps. Ratios are ours / TRL: below 1 means ours is faster.

TRL is installed for this benchmark only, outside the project's virtual environment, without touching torch::

    .venv/bin/pip install --no-deps --target ~/.cache/pyvision-rl/bench-trl \\
        trl datasets pandas pyarrow dill multiprocess xxhash pytz httpx httpcore

Run::

    .venv/bin/python bench/grpo_step.py [--prompts 4] [--group 4] [--max-new 64] [--steps 3] [--warmup 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEPS = Path(os.environ.get("PYVISION_RL_BENCH_DEPS", Path.home() / ".cache" / "pyvision-rl" / "bench-trl"))
ENV_ID = "PyVision/VisualSearch-Easy-v0"


def ours(args, out: Path) -> dict:
    from trainers.config import load_config
    from trainers.grpo.trainer import GRPOTrainer

    cfg = load_config(None, [
        "model=tiny", f"env_id={ENV_ID}", "batch.mode=none", f"batch.group_size={args.group}",
        f"batch.train_batch={args.prompts}", f"batch.gen_batch={args.prompts}", "max_turns=1",
        f"rollout.max_new_tokens={args.max_new}", "rollout.max_trajectory_tokens=2048",
        "lr=1e-6", "eval_episodes=0", "save_every=0", "progress=false", f"output_dir={out}",
        f"steps={args.warmup + args.steps}"])
    trainer = GRPOTrainer(cfg)
    rollout, update, tokens = [], [], []
    for step in range(args.warmup + args.steps):
        m = trainer.train_step(step)
        if step >= args.warmup:
            rollout.append(m["time/rollout_s"])
            update.append(m["time/update_s"])
            tokens.append(m["rollout/sampled_tokens"])
    trainer.engine.close()
    seeds = [trainer.prompts.seed_of(k) for k in range((args.warmup + args.steps) * args.prompts)]
    return {"rollout": rollout, "update": update, "tokens": tokens, "seeds": seeds}


def trl_run(args, out: Path, seeds: list[int]) -> dict:
    if DEPS.is_dir():
        sys.path.append(str(DEPS))
    try:
        import datasets.arrow_dataset
        import trl
        from datasets import Dataset
        from transformers import TrainerCallback
    except ImportError as exc:
        raise SystemExit(f"TRL is not importable ({exc}); install it as this file's docstring says") from None
    import gymnasium as gym

    # datasets fingerprints a table by pickling it with dill, which fails on this pyarrow build
    # ("Can't pickle <class 'MonthDayNano'>"); the fingerprint only names cache files, so a fixed one is harmless
    datasets.arrow_dataset.generate_fingerprint = lambda dataset: "pyvision-bench"
    import pyvision_envs  # noqa: F401 - registers the ids
    from agents.presets import load_preset

    env = gym.make(ENV_ID, image_in_context=False, max_turns=1)
    prompts = [[{"role": "user", "content": env.reset(seed=s)[0].text}] for s in seeds]
    env.close()
    bundle = load_preset("tiny", seed=0)
    times: dict[str, list[float]] = {"gen": [], "step": [], "tokens": []}

    class Timed(trl.GRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            t = time.perf_counter()
            result = super()._generate_and_score_completions(inputs)
            times["gen"].append(time.perf_counter() - t)
            times["tokens"].append(float(result["completion_mask"].sum()))
            return result

    class StepClock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.t = time.perf_counter()

        def on_step_end(self, *a, **k):
            times["step"].append(time.perf_counter() - self.t)

    config = trl.GRPOConfig(
        output_dir=str(out), per_device_train_batch_size=args.prompts * args.group, num_generations=args.group,
        max_completion_length=args.max_new, max_steps=args.warmup + args.steps, learning_rate=1e-6,
        temperature=1.0, top_p=1.0, top_k=0, beta=0.0, epsilon=0.2, loss_type="dapo", gradient_accumulation_steps=1,
        logging_steps=1, report_to="none", save_strategy="no", use_cpu=True, shuffle_dataset=False,
        disable_dropout=True, seed=0, dataloader_num_workers=0, bf16=False, log_completions=False,
    )
    trainer = Timed(model=bundle.model, reward_funcs=[lambda completions, **kw: [float(len(c[0]["content"]) % 2)
                                                                                for c in completions]],
                    args=config, train_dataset=Dataset.from_dict({"prompt": prompts}),
                    processing_class=bundle.tokenizer, callbacks=[StepClock()])
    trainer.train()
    w = args.warmup
    return {"rollout": times["gen"][w:], "update": [s - g for s, g in zip(times["step"][w:], times["gen"][w:])],
            "tokens": times["tokens"][w:], "version": trl.__version__}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--prompts", type=int, default=4, help="prompts per step")
    p.add_argument("--group", type=int, default=4, help="G, completions per prompt")
    p.add_argument("--max-new", type=int, default=64, help="completion token limit")
    p.add_argument("--steps", type=int, default=3, help="measured steps")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured first steps")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the same for both)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        # ours, TRL, ours again: a load change on a shared machine then biases neither side
        a = ours(args, Path(tmp) / "ours1")
        b = trl_run(args, Path(tmp) / "trl", a["seeds"])
        a2 = ours(args, Path(tmp) / "ours2")
    a = {k: a[k] + a2[k] for k in ("rollout", "update", "tokens")}
    print(f"\nGRPO step, tiny preset, {args.prompts} prompts x G={args.group}, <= {args.max_new} new tokens, "
          f"{args.threads} thread(s); {len(a['rollout'])} steps of ours, {len(b['rollout'])} of TRL {b['version']} "
          f"after {args.warmup} warm-up step(s) each")
    for stat, f in (("median", statistics.median), ("min", min)):
        print(f"[{stat}] {'':3}{'rollout s':>12}{'update s':>12}{'tokens/rollout':>16}")
        for name, r in (("ours", a), ("TRL", b)):
            print(f"{name:12}{f(r['rollout']):12.3f}{f(r['update']):12.3f}{f(r['tokens']):16.0f}")
        print(f"{'ours/TRL':12}{f(a['rollout']) / f(b['rollout']):12.2f}{f(a['update']) / f(b['update']):12.2f}"
              f"{f(a['tokens']) / f(b['tokens']):16.2f}")


if __name__ == "__main__":
    main()
