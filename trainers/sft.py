"""Supervised cold start: learn recorded expert trajectories, with the loss on assistant tokens only.

Command::

    pyvision-rl sft --config examples/configs/sft_tiny.yaml [key=value ...]

Reads ``data_path`` (JSONL from ``pyvision-rl record``; when it is none, ``record_episodes`` expert episodes of
``env_id`` are recorded into ``output_dir/data/expert.jsonl`` first), tokenizes each conversation exactly as the
rollout engine builds a trajectory (:mod:`trainers.sft_data`), and trains with AdamW on the token-mean cross
entropy of the assistant tokens. Writes checkpoints (``output_dir/checkpoints``, exact resume with
``resume=true``), ``metrics.jsonl`` + TensorBoard, the resolved config, and the final model with its tokenizer to
``output_dir/final`` (``load_preset(output_dir + "/final")`` loads it).

Python::

    result = SFTTrainer(load_config("sft.yaml", cls=SFTConfig)).train()
    result.final_dir, result.losses
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainers.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from trainers.config import ConfigError, SFTConfig, field_docs, load_config, save_config
from trainers.lora import apply_lora, merge_lora
from trainers.metrics import MetricsLogger
from trainers.record import read_records, record_episodes
from trainers.rollout_batch import micro_batches
from trainers.schedules import lr_factor
from trainers.sft_data import (
    TokenizedConversation,
    assistant_loss_sum,
    collate,
    tokenize_conversation,
    truncate,
)


@dataclass
class SFTResult:
    """What a finished SFT run produced."""

    final_dir: Path
    steps: int
    losses: list[float] = field(default_factory=list)
    examples: int = 0
    seconds: float = 0.0


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class SFTTrainer:
    """Supervised fine-tuning on recorded trajectories (loss on assistant tokens only).

    Args:
        config: The run configuration (:class:`~trainers.config.SFTConfig`).
        bundle: An already loaded :class:`~agents.presets.PolicyBundle` to train in place; default loads
            ``config.model`` with ``load_preset``.
    """

    def __init__(self, config: SFTConfig, bundle: Any = None) -> None:
        self.cfg = config
        self.out = Path(config.output_dir)
        self.bundle = bundle
        self.device = _device()
        self._strata: list[list[int]] = []  # conversation indices per balance_by value (load_data)

    # ----- data -----
    def data_path(self) -> Path:
        """The trajectory file to learn from, recorded first when ``data_path`` is none."""
        if self.cfg.data_path is not None:
            return Path(self.cfg.data_path)
        path = self.out / "data" / "expert.jsonl"
        if not path.exists():
            summary = record_episodes(self.cfg.env_id, path, agent=self.cfg.expert_agent,
                                      episodes=self.cfg.record_episodes, seed=self.cfg.seed,
                                      env_kwargs=self.cfg.env_kwargs, progress=self.cfg.progress)
            if summary.kept == 0:
                raise RuntimeError(f"the {self.cfg.expert_agent!r} agent solved none of {summary.episodes} "
                                   f"episodes of {self.cfg.env_id}; nothing to learn from")
        return path

    def load_data(self) -> list[TokenizedConversation]:
        """Read, validate and tokenize every conversation (truncated to ``max_seq_tokens``)."""
        tok, proc = self.bundle.tokenizer, self.bundle.processor
        pad = tok.convert_tokens_to_ids("<|image_pad|>") if proc is not None else None
        out, groups, key = [], [], self.cfg.balance_by
        for conv in read_records(self.data_path()):
            t = tokenize_conversation(tok, conv.messages, proc, source=conv.source)
            t = truncate(t, self.cfg.max_seq_tokens, pad)
            if not t.assistant_tokens:
                continue
            if key and key not in conv.record:
                raise ConfigError(f"{conv.source}: the record has no field {key!r} to balance batches by "
                                  f"(balance_by); its fields are {sorted(conv.record)}")
            out.append(t)
            groups.append(str(conv.record.get(key, "")))
        if not out:
            raise ConfigError(f"{self.data_path()}: no conversation keeps an assistant token within "
                              f"max_seq_tokens={self.cfg.max_seq_tokens}; raise it")
        self._strata = [[i for i, g in enumerate(groups) if g == v] for v in sorted(set(groups))]
        if key and self.cfg.batch_size % len(self._strata):
            raise ConfigError(f"balance_by={key!r}: the data has {len(self._strata)} values of {key!r}, which "
                              f"must divide batch_size={self.cfg.batch_size}")
        return out

    def total_steps(self, n_examples: int) -> int:
        """Optimizer steps: ``steps``, or ``epochs`` passes of ``ceil(n / batch_size)`` steps."""
        if self.cfg.steps > 0:
            return self.cfg.steps
        return self.cfg.epochs * math.ceil(n_examples / self.cfg.batch_size)

    def batch_indices(self, step: int, n: int) -> list[int]:
        """Example indices of optimizer step ``step``: a fresh seeded shuffle per epoch, wrapping around.

        With ``balance_by`` (after :meth:`load_data`), each of its values' conversations is shuffled the same
        way on its own and gives ``batch_size / k`` indices per step.
        """
        if self.cfg.balance_by and not self._strata:
            raise RuntimeError("balance_by: call load_data() first (it reads the field's values)")
        strata = self._strata if self.cfg.balance_by else [list(range(n))]
        per = self.cfg.batch_size // len(strata)
        out = []
        for s, members in enumerate(strata):
            for k in range(step * per, step * per + per):
                epoch, pos = divmod(k, len(members))
                gen = torch.Generator().manual_seed(self.cfg.seed * 7919 + epoch + s * 1_000_003)
                out.append(members[int(torch.randperm(len(members), generator=gen)[pos])])
        return out

    # ----- training -----
    def _setup(self, total: int) -> tuple[Any, Any, int]:
        """Optimizer, scheduler and the step to start from (restored from the latest checkpoint on resume)."""
        cfg = self.cfg
        model = self.bundle.model.to(self.device)
        if cfg.freeze_vision and hasattr(model, "visual"):
            model.visual.requires_grad_(False)
        # with lora.r > 0 the bundle holds the adapted model until train() merges it back
        model = self.bundle.model = apply_lora(model, cfg.lora, exclude_vision=cfg.freeze_vision)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(cfg.lr_schedule, cfg.warmup_steps, total))
        start = 0
        ckpt = latest_checkpoint(self.out / "checkpoints") if cfg.resume else None
        if ckpt is not None:
            start = load_checkpoint(ckpt, model, opt, sched).step
        return opt, sched, start

    def _step(self, data: Sequence[TokenizedConversation], idx: list[int], opt: Any) -> dict[str, float]:
        """One optimizer step over ``idx`` in micro-batches (``grad_accum``/``micro_batch_tokens``); token-mean loss."""
        cfg, model = self.cfg, self.bundle.model
        tokens = sum(data[i].assistant_tokens for i in idx)
        total = 0.0
        opt.zero_grad(set_to_none=True)
        for part in micro_batches([len(data[i].ids) for i in idx], cfg.grad_accum, cfg.micro_batch_tokens):
            batch = collate([data[idx[k]] for k in part], self.bundle.tokenizer.pad_token_id, self.bundle.processor)
            batch = {name: v.to(self.device) for name, v in batch.items()}
            with torch.autocast(self.device.type, dtype=torch.bfloat16,
                                enabled=cfg.bf16 and self.device.type == "cuda"):
                loss = assistant_loss_sum(model, batch) / tokens
            loss.backward()
            total += float(loss.detach())
        params = [p for p in model.parameters() if p.requires_grad]
        norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm if cfg.max_grad_norm > 0 else float("inf"))
        opt.step()
        return {"sft/loss": total, "sft/grad_norm": float(norm), "sft/assistant_tokens": tokens}

    def _save(self, step: int, opt: Any, sched: Any, final: bool = False) -> None:
        cfg = self.cfg
        if final or (cfg.save_every and step % cfg.save_every == 0):
            save_checkpoint(self.out / "checkpoints", step, self.bundle.model, opt, sched,
                            data_state={"step": step}, keep_last=cfg.keep_checkpoints)

    def train(self) -> SFTResult:
        """Run SFT to the end; returns where the final model is and the loss curve."""
        cfg = self.cfg
        t0 = time.perf_counter()
        seed_everything(cfg.seed)
        self.out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, self.out / "config.yaml")
        if self.bundle is None:
            from agents.presets import load_preset

            self.bundle = load_preset(cfg.model, seed=cfg.seed, device=str(self.device))
        data = self.load_data()
        total = self.total_steps(len(data))
        opt, sched, start = self._setup(total)
        model = self.bundle.model
        model.train()
        losses: list[float] = []
        bar = _bar(total, start, cfg.progress)
        with MetricsLogger(self.out, resume_step=start if start else None) as log:
            for step in range(start, total):
                stats = self._step(data, self.batch_indices(step, len(data)), opt)
                sched.step()
                losses.append(stats["sft/loss"])
                if (step + 1) % cfg.log_every == 0 or step + 1 == total:
                    log.log(step + 1, {**stats, "sft/lr": sched.get_last_lr()[0]})
                self._save(step + 1, opt, sched, final=step + 1 == total)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{stats['sft/loss']:.3f}")
        if bar is not None:
            bar.close()
        model.eval()
        self.bundle.model = merge_lora(model)  # the saved (and returned) policy is a plain model
        final = self.out / "final"
        from agents.presets import save_bundle

        save_bundle(self.bundle, final)
        return SFTResult(final_dir=final, steps=total, losses=losses, examples=len(data),
                         seconds=time.perf_counter() - t0)


def _bar(total: int, start: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=start, desc="sft", unit="step", file=sys.stderr, dynamic_ncols=True)


def _usage() -> str:
    docs = field_docs(SFTConfig)
    lines = ["usage: pyvision-rl sft [--config FILE] [key=value ...]", "",
             "Supervised cold start on recorded trajectories (loss on assistant tokens only).", "", "keys:"]
    lines += [f"  {name}: {doc.splitlines()[0]}" for name, doc in docs.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pyvision-rl sft``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(_usage())
        return 0
    path = None
    if "--config" in args:
        k = args.index("--config")
        if k + 1 >= len(args):
            print("error: --config needs a YAML file path", file=sys.stderr)
            return 2
        path = args[k + 1]
        args = args[:k] + args[k + 2:]
    try:
        cfg = load_config(path, args, cls=SFTConfig)
        result = SFTTrainer(cfg).train()
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    first, last = (result.losses[0], result.losses[-1]) if result.losses else (float("nan"),) * 2
    print(f"sft: {result.steps} steps on {result.examples} conversations in {result.seconds:.1f}s; "
          f"loss {first:.3f} -> {last:.3f}; final model: {result.final_dir}")
    return 0
