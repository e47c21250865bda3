"""The GRPO training loop (SPEC section 4): oversample-filter-rank rollouts, then one clipped-policy update.

``GRPOTrainer(config).train()`` runs, per step::

    seed the samplers for (seed, step, rank)
    batch = oversample_filter_rank(generate_round, prompts, config.batch)   # G rollouts per prompt, filtered
    for each epoch, for each mini-batch of batch:                           # 1 x 1 in the paper
        for each micro-batch (grad_accum of them):
            logp = log-probs of the sampled tokens under the current model  # ratio starts at 1
            loss = policy_loss(logp, old_logp, advantages, mask, clip 0.2/0.2, dual clip 3, token-mean)
                   (+ kl_coef * k3 KL to the frozen initial policy, off by default)
            backward
        clip gradients, AdamW step (constant lr after warm-up)
    log metrics; checkpoint every save_every steps

**Data parallel (accelerate).** Each of the N processes runs oversample-filter-rank on its own shard of the
prompt stream (every N-th prompt) with ``train_batch / N`` prompts and ``ceil(gen_batch / N)`` prompts per
round, so filtering and ranking are per process. The update is synchronized: gradients are averaged across
processes (DDP) and every loss denominator (the token count for ``token-mean``, the sequence count otherwise) is
the **global** count of the mini-batch divided by N, so the averaged gradient is exactly that of the whole
batch's loss. A process whose shard of a mini-batch is empty joins the backward with an empty-mask dummy row.
Metrics are averaged over processes.

**Determinism and exact resume.** Before each step the Python, NumPy and torch generators are seeded from
``(seed, step, rank)``, and prompts are a pure function of their index (``PromptStream``), so a step's rollouts
depend only on the weights and the step. A checkpoint stores the weights, the optimizer and scheduler states and
each rank's prompt position; resuming from step k therefore replays steps k+1.. exactly as an uninterrupted run
would (bitwise on CPU). The model stays in eval mode throughout: dropout would make the loss forward differ from
the sampling policy.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from agents.presets import PolicyBundle, load_preset, policy_env_kwargs, save_bundle
from agents.served_policy import ServedPolicy
from pyvision_envs.eval import EvalSummary, summarize
from pyvision_envs.types import RolloutGroup, Trajectory
from trainers.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from trainers.config import ConfigError, GRPOConfig, save_config
from trainers.evaluate import evaluate_policy
from trainers.grpo.loss import kl_k3, policy_loss
from trainers.grpo.ofr import OFRBatch, OFRSettings, oversample_filter_rank
from trainers.grpo.prompts import PromptStream
from trainers.grpo.setup import freeze_vision_tower, make_accelerator
from trainers.grpo.step_metrics import batch_metrics, rollout_metrics
from trainers.lora import apply_lora, merge_lora
from trainers.metrics import MetricsLogger, plot_metrics, read_metrics
from trainers.monitor import WATCHED, CollapseDetector, plot_tool_use, tool_metrics
from trainers.rollout import RolloutEngine
from trainers.rollout_batch import collate, dummy_batch, micro_batches, split, token_logprobs
from trainers.schedules import lr_factor
from trainers.served import check_weight_lag, close_policy, rollout_policy


@dataclass
class TrainResult:
    """What a finished run produced.

    Attributes:
        output_dir: The run directory.
        steps: Training steps completed.
        policy_dir: The final policy (``load_preset(str(policy_dir))`` loads it), written by the main process.
        last_metrics: The last logged step's metrics.
        eval: Held-out evaluation summary, or None when ``eval_episodes`` is 0.
        plots: PNG files written.

    Files under ``output_dir``: ``config.yaml``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/step-*``,
    ``policy/`` (the final weights and tokenizer), ``plots/*.png`` and ``eval.json`` (the held-out summary).
    """

    output_dir: Path
    steps: int
    policy_dir: Path
    last_metrics: dict[str, Any] = field(default_factory=dict)
    eval: EvalSummary | None = None
    plots: list[Path] = field(default_factory=list)


class GRPOTrainer:
    """GRPO with oversample-filter-rank on any PyVision environment; see the module docstring.

    Args:
        config: The run configuration.
        bundle: An already-loaded policy to train (default: ``load_preset(config.model, seed=config.seed)``).
    """

    def __init__(self, config: GRPOConfig, bundle: PolicyBundle | None = None) -> None:
        self.cfg = cfg = config
        self.bundle = bundle or load_preset(cfg.model, seed=cfg.seed)
        self.accelerator = acc = make_accelerator(cfg.bf16, find_unused=self.bundle.is_vl and not cfg.freeze_vision)
        self.rank, self.world = acc.process_index, acc.num_processes
        if cfg.batch.train_batch % self.world:
            raise ConfigError(f"batch.train_batch={cfg.batch.train_batch} must be divisible by the {self.world} "
                              "processes: each process trains on train_batch / processes prompts")
        self.output_dir = Path(cfg.output_dir)
        model = self.bundle.model.eval()  # no dropout: the loss forward must match the sampling policy
        if cfg.freeze_vision:
            freeze_vision_tower(model)
        # the frozen reference is the initial policy, so it is copied before any checkpoint is loaded
        self.ref_model = copy.deepcopy(model).requires_grad_(False) if cfg.loss.kl_coef > 0 else None
        # adapters go into the bundle's own modules: the sampler (bundle.model) runs the adapted policy too
        model = apply_lora(model, cfg.lora, exclude_vision=cfg.freeze_vision)
        self.params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        # stepped by hand once per optimizer step (accelerate would step it once per process)
        updates = cfg.steps * cfg.epochs * cfg.mini_batches
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lr_factor(cfg.lr_schedule, cfg.warmup_steps, updates))
        self.model, self.optimizer = acc.prepare(model, optimizer)
        if self.ref_model is not None:
            self.ref_model.to(acc.device)
        self.pad_id = self.bundle.tokenizer.pad_token_id
        self.env_kwargs = policy_env_kwargs(self.bundle, cfg.env_kwargs, cfg.max_turns)
        self.env_kwargs.setdefault("messages_in_info", False)
        # rollout.engine=vllm launches (or reaches) the server here: a missing one fails before any training
        policy = rollout_policy(self.bundle, cfg.rollout, log_dir=self.output_dir if self.is_main else None)
        # the loss scores the distribution the sampler drew from: the same ids masked
        self._unsampled = {"suppress": policy.suppressed_ids, "vocab_limit": policy.vocab_limit}
        self.engine = RolloutEngine(policy, cfg.env_id, self.env_kwargs, cfg.rollout)
        self.ofr = self._ofr_settings()
        self.prompts = PromptStream(cfg.seed, cfg.eval_seed, self.rank, self.world)
        self.monitor = CollapseDetector(cfg.monitor)
        self.step = 0
        self._underfill_warned = False

    def _ofr_settings(self) -> OFRSettings:
        """This process's share of each batch: ``train_batch / N`` prompts, ``ceil(gen_batch / N)`` per round."""
        s = self.cfg.batch
        return dataclasses.replace(s, train_batch=s.train_batch // self.world,
                                   gen_batch=math.ceil(s.gen_batch / self.world))

    @property
    def served(self) -> ServedPolicy | None:
        """The served policy when rollouts run on a vLLM server (``rollout.engine=vllm``), else None."""
        policy = self.engine.policy
        return policy if isinstance(policy, ServedPolicy) else None

    @property
    def is_main(self) -> bool:
        """Whether this is the process that writes files and logs."""
        return self.accelerator.is_main_process

    # ----- the loop -----
    def train(self, on_step: Callable[[GRPOTrainer, dict[str, Any]], None] | None = None) -> TrainResult:
        """Run ``config.steps`` steps (from the latest checkpoint with ``config.resume``); see the module doc.

        ``on_step(trainer, metrics)`` runs after each step (on every process), e.g. a mid-run evaluation.
        """
        try:
            return self._train(on_step)
        except BaseException:
            close_policy(self.engine.policy)  # a launched server goes with the run; checkpoints are atomic
            raise

    def _train(self, on_step: Callable[[GRPOTrainer, dict[str, Any]], None] | None) -> TrainResult:
        cfg = self.cfg
        start = self.resume() if cfg.resume else 0
        if start and self.served is not None:
            self.served.push_weights(self.accelerator.unwrap_model(self.model))  # the resumed weights
        if self.is_main:
            save_config(cfg, self.output_dir / "config.yaml")
        metrics: dict[str, Any] = {}
        logger = MetricsLogger(self.output_dir, resume_step=start if start else None, enabled=self.is_main)
        if start and self.is_main:  # the collapse monitor continues from the logged steps, without re-warning
            self.monitor.replay((r["step"], r[WATCHED]) for r in read_metrics(logger.path) if r.get(WATCHED) is not None)
        bar = tqdm(total=cfg.steps, initial=start, desc="GRPO", disable=not (cfg.progress and self.is_main),
                   dynamic_ncols=True)
        with logger, bar:
            for step in range(start, cfg.steps):
                metrics = self.train_step(step)
                metrics.update(self._watch(metrics))
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    logger.log(self.step, metrics)
                bar.update(1)
                bar.set_postfix(reward=f"{metrics['rollout/reward']:.3f}", acc=f"{metrics['rollout/accuracy']:.2f}",
                                kept=int(metrics["ofr/kept"]), refresh=False)
                if cfg.save_every and self.step % cfg.save_every == 0:
                    self.save()
                if on_step is not None:
                    on_step(self, metrics)
            if not cfg.save_every or self.step % cfg.save_every:
                self.save()
            report = self.evaluate() if cfg.eval_episodes else None
            if report is not None:
                logger.log(self.step, {"eval/accuracy": report.accuracy, "eval/reward": report.mean_reward,
                                       "eval/tool_calls": report.mean_tool_calls, "eval/turns": report.mean_turns})
        return self._finish(metrics, report)

    def _watch(self, metrics: dict[str, float]) -> dict[str, float]:
        """The collapse monitor's metrics for this step; its warning goes to the console once (main process)."""
        found, warning = self.monitor.update(self.step, metrics[WATCHED])
        if warning and self.is_main:
            tqdm.write(f"warning: {warning}", file=sys.stderr)
        return found

    def train_step(self, step: int) -> dict[str, float]:
        """One step: collect a batch by oversample-filter-rank, update on it; returns the step's metrics."""
        self._seed_step(step)
        t0 = time.perf_counter()
        batch = oversample_filter_rank(self._generate_round, self.prompts, self.ofr)
        t1 = time.perf_counter()
        self._warn_underfilled(step, batch)
        check_weight_lag(batch.trajectories, self.engine.weight_version, self.cfg.rollout.max_weight_lag)
        update = self.update(batch)
        t2 = time.perf_counter()
        if self.served is not None:  # the next rollouts must sample from the updated weights
            self.served.push_weights(self.accelerator.unwrap_model(self.model))
            update["time/weight_sync_s"] = time.perf_counter() - t2
        self.step = step + 1
        metrics = {**rollout_metrics(batch.generated), **tool_metrics(batch.generated), **batch.stats.as_dict(),
                   **update,
                   **batch_metrics(batch), "time/rollout_s": t1 - t0, "time/update_s": t2 - t1,
                   "lr": self.scheduler.get_last_lr()[0]}
        metrics["throughput/gen_tokens_per_s"] = metrics["rollout/sampled_tokens"] / max(t1 - t0, 1e-9)
        return self._mean_over_processes(metrics)

    def _warn_underfilled(self, step: int, batch: OFRBatch) -> None:
        """Say once per run, on the console, that a batch came out short (metrics.jsonl has every step)."""
        st = batch.stats
        if self._underfill_warned or st.kept >= st.target:
            return
        self._underfill_warned = True
        ran_out = f"batch.max_rounds={self.ofr.max_rounds} rounds" if st.hit_max_rounds else "the prompts"
        where = f" on process {self.rank}" if self.world > 1 else ""
        print(f"warning: step {step + 1}{where}: oversample-filter-rank kept {st.kept} of the {st.target} "
              f"trajectories ({ran_out} ran out: {st.trajectories_generated} generated in {st.rounds} round(s); "
              f"dropped {st.zero_variance_trajectories} in zero-variance groups, {st.broken_trajectories} broken, "
              f"{st.no_image_trajectories} without an image). The step trains on the smaller batch; raise "
              "batch.max_rounds or batch.gen_batch if this persists. Warned once per run; ofr/kept in "
              "metrics.jsonl has every step.", file=sys.stderr, flush=True)

    def _generate_round(self, seeds: list[int]) -> Sequence[RolloutGroup]:
        with torch.no_grad(), self.accelerator.autocast():
            return self.engine.rollout(seeds, self.cfg.batch.group_size)

    # ----- the update -----
    def update(self, batch: OFRBatch) -> dict[str, float]:
        """``epochs`` passes of ``mini_batches`` optimizer steps over the batch; returns loss statistics."""
        cfg = self.cfg
        trajs, adv = list(batch.trajectories), torch.tensor(batch.advantages, dtype=torch.float32)
        total = self._global_sum([len(trajs)])[0]
        if total == 0:  # every group was filtered out everywhere: nothing to learn from this step
            return {"update/skipped": 1.0}
        sums: dict[str, float] = defaultdict(float)
        for _ in range(cfg.epochs):
            for idx in split(list(range(len(trajs))), cfg.mini_batches):
                for k, v in self._optimizer_step([trajs[i] for i in idx], adv[idx]).items():
                    sums[k] += v
        n = cfg.epochs * cfg.mini_batches
        out = {f"loss/{k}": v / n for k, v in sums.items()}
        out["update/skipped"] = 0.0
        return out

    def _optimizer_step(self, trajs: list[Trajectory], adv: torch.Tensor) -> dict[str, float]:
        cfg, acc = self.cfg, self.accelerator
        tokens = sum(t.response_len for t in trajs)
        g_tokens, g_seqs = self._global_sum([tokens, sum(1 for t in trajs if t.response_len)])
        denom = (g_tokens if cfg.loss.agg == "token-mean" else g_seqs) / self.world
        micro = micro_batches([len(t.token_ids) for t in trajs], cfg.grad_accum, cfg.micro_batch_tokens)
        weighted: dict[str, float] = defaultdict(float)
        loss_sum = kl_sum = 0.0
        for k, idx in enumerate(micro):
            sync = nullcontext() if k == len(micro) - 1 else acc.no_sync(self.model)
            with sync:
                loss, stats = self._micro_loss([trajs[i] for i in idx], adv[idx], denom)
                acc.backward(loss)
            loss_sum += float(loss.detach())
            kl_sum += stats.pop("kl_ref", 0.0)  # already over the whole-batch denominator: it adds up as is
            for key, v in stats.items():
                weighted[key] += v * stats["tokens"]
        limit = cfg.max_grad_norm if cfg.max_grad_norm > 0 else float("inf")
        grad_norm = acc.clip_grad_norm_(self.params, limit)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        out = {k: v / max(tokens, 1) for k, v in weighted.items() if k != "tokens"}
        out.update(policy=loss_sum, grad_norm=float(grad_norm), tokens=float(tokens))
        if self.ref_model is not None:
            out["kl_ref"] = kl_sum  # the KL term as it enters the loss, in every aggregation mode
        return out

    def _micro_loss(self, trajs: list[Trajectory], adv: torch.Tensor, denom: float
                    ) -> tuple[torch.Tensor, dict[str, float]]:
        lc, temperature = self.cfg.loss, self.cfg.rollout.temperature
        batch = collate(trajs, self.pad_id) if trajs else dummy_batch(self.pad_id)
        adv = adv if trajs else torch.zeros(1)
        batch = batch.to(self.accelerator.device)
        with self.accelerator.autocast():
            logps, entropy = token_logprobs(self.model, batch, temperature, with_entropy=True, **self._unsampled)
        mask, old = batch.loss_mask[:, 1:], batch.old_logprobs[:, 1:]
        loss, stats = policy_loss(logps, old, adv.to(logps.device), mask, clip_low=lc.clip_low,
                                  clip_high=lc.clip_high, dual_clip=lc.dual_clip, agg=lc.agg, entropy=entropy,
                                  denominator=denom)
        if self.ref_model is not None:
            with torch.no_grad(), self.accelerator.autocast():
                ref, _ = token_logprobs(self.ref_model, batch, temperature, **self._unsampled)
            kl = kl_k3(logps, ref, mask, lc.agg, denom)
            loss = loss + lc.kl_coef * kl
            stats["kl_ref"] = float(kl.detach())
        return loss, stats

    # ----- checkpoints, evaluation, the end -----
    def save(self) -> Path:
        """Write a checkpoint of the current step (main process; every process must call it)."""
        from accelerate.utils import gather_object

        positions = gather_object([self.prompts.position])
        root = self.output_dir / "checkpoints"
        if self.is_main:
            save_checkpoint(root, self.step, self.accelerator.unwrap_model(self.model), self.optimizer,
                            self.scheduler, keep_last=self.cfg.keep_checkpoints,
                            data_state={"prompt_positions": positions, "world_size": self.world, "seed": self.cfg.seed})
        self.accelerator.wait_for_everyone()
        return root / f"step-{self.step:08d}"

    def resume(self) -> int:
        """Load the latest checkpoint of ``output_dir`` (if any); returns the step to continue from."""
        path = latest_checkpoint(self.output_dir / "checkpoints")
        if path is None:
            if self.is_main:
                print(f"resume: no checkpoint under {self.output_dir / 'checkpoints'}; starting from step 0")
            return 0
        state = load_checkpoint(path, self.accelerator.unwrap_model(self.model), self.optimizer, self.scheduler)
        data = state.data_state
        if data.get("world_size") != self.world or data.get("seed") != self.cfg.seed:
            raise ConfigError(f"{path} was written by a run with {data.get('world_size')} process(es) and seed "
                              f"{data.get('seed')}; resume it with the same (now {self.world} and {self.cfg.seed})")
        self.prompts.position = int(data["prompt_positions"][self.rank])
        self.step = state.step
        return state.step

    def evaluate(self, episodes: int | None = None) -> EvalSummary:
        """Held-out evaluation on seeds ``eval_seed ..``, sharded over processes and gathered."""
        from accelerate.utils import gather_object

        cfg = self.cfg
        seeds = list(range(cfg.eval_seed, cfg.eval_seed + (cfg.eval_episodes if episodes is None else episodes)))
        with self.accelerator.autocast():
            _, mine = evaluate_policy(self.bundle, cfg.env_id, self.env_kwargs, seeds[self.rank::self.world],
                                      settings=self.engine.settings, sample_seed=cfg.seed + self.rank,
                                      policy=self.engine.policy)
        records = gather_object(mine) if self.world > 1 else mine
        return summarize(sorted(records, key=lambda r: r.seed), cfg.env_id, str(cfg.model), cfg.eval_seed)

    def _finish(self, metrics: dict[str, Any], report: EvalSummary | None) -> TrainResult:
        policy_dir = self.output_dir / "policy"
        plots: list[Path] = []
        if self.is_main:
            # adapters folded into the weights (in place: bundle.model, evaluated next, is the merged policy)
            merged = merge_lora(self.accelerator.unwrap_model(self.model))
            save_bundle(PolicyBundle(merged, self.bundle.tokenizer, self.bundle.processor, self.bundle.name),
                        policy_dir)
            if report is not None:
                (self.output_dir / "eval.json").write_text(json.dumps(report.as_dict(), indent=1), encoding="utf-8")
            if (self.output_dir / "metrics.jsonl").exists():
                plots = plot_metrics(self.output_dir / "metrics.jsonl", self.output_dir / "plots")
                tool_plot = plot_tool_use(read_metrics(self.output_dir / "metrics.jsonl"), self.output_dir / "plots")
                plots += [tool_plot] if tool_plot else []
        self.accelerator.wait_for_everyone()
        self.engine.close()
        close_policy(self.engine.policy)
        return TrainResult(self.output_dir, self.step, policy_dir, metrics, report, plots)

    # ----- helpers -----
    def _seed_step(self, step: int) -> None:
        seed = int(np.random.SeedSequence([self.cfg.seed, step, self.rank]).generate_state(1)[0])
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def _global_sum(self, values: list[float]) -> list[float]:
        t = torch.tensor(values, dtype=torch.float64, device=self.accelerator.device)
        return (self.accelerator.reduce(t, "sum") if self.world > 1 else t).tolist()

    def _mean_over_processes(self, metrics: dict[str, float]) -> dict[str, float]:
        if self.world == 1:
            return {k: float(v) for k, v in metrics.items()}
        keys = sorted(metrics)
        t = torch.tensor([float(metrics[k]) for k in keys], dtype=torch.float64, device=self.accelerator.device)
        return dict(zip(keys, self.accelerator.reduce(t, "mean").tolist(), strict=True))
