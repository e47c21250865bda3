"""Where one GRPO step of the ``smollm2-135m`` main job spends its time, and what each speed lever changes.

One step is broken into: the env (reset, sandbox, grading: rollout time outside ``generate``), generation split
into **prefill** (one forward over every row's whole context, timed on its own with the same left-padded inputs)
and **decode** (the rest of ``generate``), the one-pass **log-prob forward** without gradient, the loss
**forward + backward** in micro-batches (as ``grad_accum`` cuts them), and the **optimizer** step (clip + AdamW).
The record phase (scripted agents, no model) is timed per episode.

Variants run in the same process on the same prompts and sampling seed; each row prints seconds and the ratio to
the baseline (full fine-tune, re-prefill every turn), so a load change on the shared machine moves both sides:

- ``full``: every weight trains (the preset's default);
- ``kv``: ``rollout.kv_reuse`` on (``agents/kv_prefix.py``): each turn continues from the trajectory's cache and a
  group's shared prompt is prefilled once; its partial prefill runs inside ``generate`` and counts under decode;
- ``lora``: ``lora.r`` adapters on every linear layer (``trainers/lora.py``), unmerged while training; the update
  phases score the very same trajectories as ``full`` (at B = 0 the adapted policy is the base one);
- ``brief``: the env's ``prompt="brief"`` (the layout-only first message): its own, shorter trajectories, full
  fine-tune;
- ``all``: the ``smollm2-135m`` preset's combination: brief prompt, KV reuse and LoRA;

The run also prints an estimate of the main job's wall time from the measured per-phase rates (the job's own
budget: ``examples/configs/main_job.yaml``, preset ``smollm2-135m``).

Run (about 2-3 minutes on 2 idle cores)::

    nice -n 15 .venv/bin/python bench/smollm2_step.py [--prompts 1] [--group 4] [--max-new 32] [--turns 2]
        [--micro 2] [--lora-r 16] [--threads 2] [--preset smollm2-135m] [--rollout-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agents.hf_policy import HFPolicy  # noqa: E402
from agents.presets import load_preset, policy_env_kwargs  # noqa: E402
from trainers.grpo.loss import policy_loss  # noqa: E402
from trainers.lora import LoRASettings, apply_lora  # noqa: E402
from trainers.rollout import RolloutEngine, RolloutSettings  # noqa: E402
from trainers.rollout_batch import collate, split, token_logprobs  # noqa: E402

ENV_ID = "PyVision/VisualSearch-Easy-v0"
TEMPERATURE = 0.6


class TimedPolicy(HFPolicy):
    """The real policy; each ``generate`` call is timed, and its prefill is timed separately on the same inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.generate_s = self.prefill_s = 0.0
        self.prefill_tokens = self.decode_steps = self.calls = 0

    def generate(self, contexts, images=None, **kwargs):
        inputs = self._inputs(contexts, images)
        t = time.perf_counter()
        if kwargs.get("prefixes") is None:  # with KV reuse the prefill is partial: it counts under decode
            with torch.no_grad():
                self.model(**inputs, logits_to_keep=1)
        t1 = time.perf_counter()
        gens = super().generate(contexts, images, **kwargs)
        t2 = time.perf_counter()
        self.prefill_s += t1 - t
        self.generate_s += t2 - t1
        self.prefill_tokens += int(inputs["attention_mask"].sum())
        self.decode_steps += max(len(g.token_ids) for g in gens)
        self.calls += 1
        return gens


@dataclass
class Phases:
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)


def say(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def rollout_phase(bundle, args, seeds, kv_reuse: bool = False, prompt: str = "full") -> tuple[Phases, list]:
    say(f"rollout (kv_reuse={kv_reuse}, prompt={prompt})")
    policy = TimedPolicy(bundle, temperature=TEMPERATURE, max_new_tokens=args.max_new)
    settings = RolloutSettings(max_new_tokens=args.max_new, max_trajectory_tokens=2048, temperature=TEMPERATURE,
                               kv_reuse=kv_reuse)
    env_kwargs = policy_env_kwargs(bundle, {"image_in_context": False, "prompt": prompt}, args.turns)
    with RolloutEngine(policy, ENV_ID, env_kwargs, settings) as engine:
        policy.generate([[1, 2, 3]], max_new_tokens=2)  # warm-up: first-call allocations
        policy.generate_s = policy.prefill_s = 0.0
        policy.prefill_tokens = policy.decode_steps = policy.calls = 0
        torch.manual_seed(args.seed)
        t = time.perf_counter()
        groups = engine.rollout(seeds, args.group)
        total = time.perf_counter() - t
    trajs = [tr for g in groups for tr in g.trajectories]
    decode = policy.generate_s - policy.prefill_s
    ph = Phases({"env": total - policy.generate_s - policy.prefill_s, "prefill": policy.prefill_s, "decode": decode},
                {"turn calls": policy.calls, "prefill tokens": policy.prefill_tokens,
                 "decode steps": policy.decode_steps, "sampled tokens": sum(t.response_len for t in trajs),
                 "trajectory tokens": sum(len(t.token_ids) for t in trajs)})
    return ph, trajs


def update_phase(model, params, trajs, pad_id, micro: int) -> Phases:
    """Log-prob forward (no grad), then forward + backward per micro-batch, then one optimizer step."""
    say("update")
    opt = torch.optim.AdamW(params, lr=1e-6)
    batch = collate(trajs, pad_id)
    t = time.perf_counter()
    with torch.no_grad():
        token_logprobs(model, batch, TEMPERATURE)
    logprob = time.perf_counter() - t
    fwd = bwd = 0.0
    adv = torch.linspace(-1, 1, len(trajs))
    denom = float(sum(tr.response_len for tr in trajs))
    for idx in split(list(range(len(trajs))), max(len(trajs) // micro, 1)):
        b = collate([trajs[i] for i in idx], pad_id)
        t = time.perf_counter()
        logps, _ = token_logprobs(model, b, TEMPERATURE)
        loss, _ = policy_loss(logps, b.old_logprobs[:, 1:], adv[idx], b.loss_mask[:, 1:], denominator=denom)
        t1 = time.perf_counter()
        loss.backward()
        fwd, bwd = fwd + t1 - t, bwd + time.perf_counter() - t1
    t = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    step = time.perf_counter() - t
    state = sum(v.numel() for s in opt.state.values() for v in s.values() if torch.is_tensor(v))
    return Phases({"logprob fwd": logprob, "loss fwd": fwd, "backward": bwd, "optimizer": step},
                  {"trainable params": sum(p.numel() for p in params), "optimizer floats": state})


def trainable(model) -> list:
    return [q for q in model.parameters() if q.requires_grad]


def record_phase(episodes: int) -> float:
    """Seconds per episode of the cold-start recording (expert and guesser, as the main job records)."""
    from trainers.record import record_episodes

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        for agent, keep in (("short-expert", False), ("guesser", True)):
            record_episodes(ENV_ID, Path(tmp) / f"{agent}.jsonl", agent=agent, episodes=episodes, seed=0,
                            keep_all=keep, env_kwargs={"image_in_context": False}, progress=False)
        return (time.perf_counter() - t) / (2 * episodes)


def show(rows: dict[str, Phases], base: str) -> None:
    names = [k for k in rows[base].seconds]
    print(f"{'phase':14}" + "".join(f"{v + ' s':>12}{v + '/' + base:>14}" for v in rows))
    for k in [*names, "total"]:
        cells = ""
        for v, ph in rows.items():
            s = sum(ph.seconds.values()) if k == "total" else ph.seconds.get(k, float("nan"))
            b = sum(rows[base].seconds.values()) if k == "total" else rows[base].seconds[k]
            cells += f"{s:12.2f}{s / b if b else float('nan'):14.2f}"
        print(f"{k:14}{cells}")
    for k in rows[base].counts:
        print(f"{k:14}" + "".join(f"{ph.counts.get(k, float('nan')):12.0f}{'':14}" for ph in rows.values()))


def merged(a: Phases, b: Phases) -> Phases:
    return Phases({**a.seconds, **b.seconds}, {**a.counts, **b.counts})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="smollm2-135m")
    p.add_argument("--prompts", type=int, default=1, help="prompts per step")
    p.add_argument("--group", type=int, default=4, help="G, rollouts per prompt")
    p.add_argument("--max-new", type=int, default=32, help="tokens per turn")
    p.add_argument("--turns", type=int, default=2, help="model turns per episode")
    p.add_argument("--micro", type=int, default=2, help="trajectories per loss forward/backward")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--record", type=int, default=2, help="episodes per agent for the record timing (0: skip)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rollout-only", action="store_true", help="full vs kv rollouts only (no update, no lora)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    seeds = list(range(100, 100 + args.prompts))

    bundle = load_preset(args.preset, seed=0)
    model = bundle.model
    full_gen, trajs = rollout_phase(bundle, args, seeds)
    kv_gen, kv_trajs = rollout_phase(bundle, args, seeds, kv_reuse=True)
    kv_same = [t.token_ids for t in kv_trajs] == [t.token_ids for t in trajs]
    rows = {"full": full_gen, "kv": kv_gen}
    same = "n/a"
    if not args.rollout_only:
        pad = bundle.tokenizer.pad_token_id
        full_upd = update_phase(model, trainable(model), trajs, pad, args.micro)
        brief_gen, brief_trajs = rollout_phase(bundle, args, seeds, prompt="brief")
        brief_upd = update_phase(model, trainable(model), brief_trajs, pad,
                                 args.micro)
        peft_model = apply_lora(model, LoRASettings(r=args.lora_r, alpha=2 * args.lora_r))
        lora_gen, lora_trajs = rollout_phase(bundle, args, seeds)
        same = [t.token_ids for t in lora_trajs] == [t.token_ids for t in trajs]
        lora_upd = update_phase(peft_model, trainable(peft_model), trajs, pad,
                                args.micro)
        all_gen, all_trajs = rollout_phase(bundle, args, seeds, kv_reuse=True, prompt="brief")
        all_upd = update_phase(peft_model, trainable(peft_model), all_trajs, pad,
                               args.micro)
        rows = {"full": merged(full_gen, full_upd), "kv": merged(kv_gen, full_upd),
                "lora": merged(lora_gen, lora_upd), "brief": merged(brief_gen, brief_upd),
                "all": merged(all_gen, all_upd)}
    per_episode = record_phase(args.record) if args.record else float("nan")
    print(f"\nGRPO step, {args.preset}, {args.prompts} prompt(s) x G={args.group}, {args.turns} turns of <= "
          f"{args.max_new} tokens, micro-batches of {args.micro}, {args.threads} thread(s); lora r={args.lora_r} "
          f"(rollouts identical to full: lora {same}, kv {kv_same}); kv: rollout.kv_reuse on, its prefill is "
          "inside decode (compare prefill + decode), its update rows are full's; brief and all: other (shorter) "
          "trajectories")
    show(rows, "full")
    print(f"record: {per_episode:.3f} s per episode (scripted agents, no model)")


if __name__ == "__main__":
    main()
