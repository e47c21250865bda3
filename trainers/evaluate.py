"""Held-out evaluation of a policy with the rollout engine, into the one evaluation stack's typed records.

The same seeds give the same tasks, so two policies (say the SFT and the RL policy) evaluated on the same seeds
answer exactly the same questions. Sampling is seeded too (``sample_seed``), inside a forked RNG so the caller's
generators are left as they were::

    summary, records = evaluate_policy(bundle, "PyVision/VisualSearch-Easy-v0", {}, seeds=range(10**6, 10**6 + 64))
    summary.accuracy, summary.mean_tool_calls, summary.mean_turns

Records and summary are :class:`pyvision_envs.eval.EpisodeRecord` / :class:`~pyvision_envs.eval.EvalSummary`,
the same as ``pyvision-rl eval`` gives for an agent, and ``out_dir`` writes the same files (with transcripts).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from agents.hf_policy import HFPolicy
from agents.presets import PolicyBundle, policy_env_kwargs
from pyvision_envs.eval import EpisodeRecord, EvalSummary, EvalWriter
from trainers.rollout import RolloutEngine, RolloutSettings
from trainers.served import close_policy, rollout_policy


def evaluate_policy(
    bundle: PolicyBundle,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    seeds: Iterable[int] = range(1_000_000, 1_000_064),
    *,
    settings: RolloutSettings | None = None,
    max_turns: int | None = None,
    batch_size: int = 64,
    sample_seed: int = 0,
    system_prompt: str | None = None,
    first_index: int = 0,
    out_dir: str | Path | None = None,
    agent_name: str | None = None,
    policy: HFPolicy | None = None,
) -> tuple[EvalSummary, list[EpisodeRecord]]:
    """Play one episode per seed with the policy; return the summary and the per-episode records.

    Args:
        bundle: The policy (model, tokenizer, processor).
        env_id: Registered environment id.
        env_kwargs: ``gym.make`` keywords (see :func:`agents.presets.policy_env_kwargs` for the defaults added).
        seeds: Episode seeds (``env.reset(seed=s)``); the trainer's held-out seeds start at ``eval_seed``.
        settings: Sampling temperature (0: greedy) and token limits; the rollout defaults when None.
        max_turns: Model turns per episode (None: the environment's setting).
        batch_size: Episodes rolled out together.
        sample_seed: Seed of the sampling RNG (forked: the caller's RNG state is untouched).
        system_prompt: Optional system message before the first user message.
        first_index: ``EpisodeRecord.index`` of the first episode (to number chunks of one evaluation).
        out_dir: Write ``episodes.jsonl`` (as episodes end), transcripts, ``summary.json`` and ``index.md`` here.
        agent_name: The summary's agent label (default: the bundle's name).
        policy: The sampler to use (the trainer's, served or not); None makes one from ``settings``
            (``settings.engine=vllm`` launches or reaches a server for this evaluation and releases it after).
    """
    seeds = [int(s) for s in seeds]
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be >= 1")
    settings = settings or RolloutSettings()
    if out_dir is not None and not settings.keep_messages:
        settings = dataclasses.replace(settings, keep_messages=True)  # transcripts need the conversation
    own = policy is None
    policy = policy or rollout_policy(bundle, settings, system_prompt=system_prompt,
                                      log_dir=out_dir if out_dir is not None else None)
    try:
        return _play(policy, bundle, env_id, env_kwargs, seeds, settings, max_turns, batch_size, sample_seed,
                     first_index, out_dir, agent_name)
    finally:
        if own:
            close_policy(policy)


def _play(policy: HFPolicy, bundle: PolicyBundle, env_id: str, env_kwargs: Mapping[str, Any] | None,
          seeds: list[int], settings: RolloutSettings, max_turns: int | None, batch_size: int, sample_seed: int,
          first_index: int, out_dir: str | Path | None, agent_name: str | None
          ) -> tuple[EvalSummary, list[EpisodeRecord]]:
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices), torch.no_grad(), EvalWriter(out_dir) as writer, \
            RolloutEngine(policy, env_id, policy_env_kwargs(bundle, env_kwargs, max_turns), settings) as engine:
        torch.manual_seed(sample_seed)
        for start in range(0, len(seeds), batch_size):
            t0 = time.perf_counter()
            trajs = engine.run_episodes(seeds[start:start + batch_size])
            each = (time.perf_counter() - t0) / max(len(trajs), 1)  # batched: the chunk's time, shared out
            for k, t in enumerate(trajs):
                messages = t.info.get("messages") if out_dir is not None else None
                writer.add(EpisodeRecord.from_trajectory(t, first_index + start + k, each), messages)
        summary = writer.finish(env_id, agent_name or bundle.name, seeds[0] if seeds else 0)
    return summary, writer.records
