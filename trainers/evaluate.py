"""Held-out evaluation of a policy: accuracy, tool calls per episode and turns over fixed episode seeds.

The same seeds give the same tasks, so two policies (say the SFT and the RL policy) evaluated on the same seeds
answer exactly the same questions. Sampling is seeded too (``sample_seed``), inside a forked RNG so the caller's
generators are left as they were::

    report = evaluate_policy(bundle, "PyVision/VisualSearch-Easy-v0", {}, seeds=range(10**6, 10**6 + 64))
    report["accuracy"], report["tool_calls"], report["turns"]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from agents.hf_policy import HFPolicy
from agents.presets import PolicyBundle
from pyvision_envs.types import Trajectory
from trainers.rollout import RolloutEngine, RolloutSettings

SUMMARY_KEYS = ("accuracy", "reward", "tool_calls", "tool_errors", "images_returned", "turns", "response_len")


def policy_env_kwargs(bundle: PolicyBundle, env_kwargs: Mapping[str, Any] | None, max_turns: int | None = None
                      ) -> dict[str, Any]:
    """Environment keywords for a policy: text-only policies play the image-in-Python-only variant.

    ``image_in_context`` defaults to False for a policy without an image processor (it could not see an image
    in its context anyway) and to True for a vision-language policy; an explicit value in ``env_kwargs`` wins.
    ``max_turns`` is added when given; a different ``env_kwargs["max_turns"]`` is an error.
    """
    kwargs = dict(env_kwargs or {})
    kwargs.setdefault("image_in_context", bundle.processor is not None)
    if max_turns is not None:
        if kwargs.get("max_turns", max_turns) != max_turns:
            raise ValueError(f"env_kwargs.max_turns={kwargs['max_turns']} disagrees with max_turns={max_turns}; "
                             "set max_turns only (the trainer passes it to the environment)")
        kwargs["max_turns"] = max_turns
    return kwargs


def episode_record(t: Trajectory) -> dict[str, Any]:
    """One evaluated episode as plain values (what ``summarize`` averages)."""
    return {
        "seed": t.seed, "task_id": t.info.get("task_id"), "correct": bool(t.correct),
        "accuracy": float(t.terms.accuracy), "reward": float(t.reward), "tool_calls": t.tool_calls,
        "tool_errors": t.tool_errors, "images_returned": t.images_returned, "turns": t.turns,
        "response_len": t.response_len, "end_reason": t.end_reason.value, "answer": t.answer,
    }


def summarize(episodes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means of :data:`SUMMARY_KEYS` over episode records, the end-reason counts and the records themselves."""
    n = len(episodes)
    out: dict[str, Any] = {"episodes": n}
    for key in SUMMARY_KEYS:
        out[key] = sum(float(e[key]) for e in episodes) / n if n else 0.0
    out["end_reasons"] = dict(Counter(e["end_reason"] for e in episodes))
    out["per_episode"] = list(episodes)
    return out


def evaluate_policy(
    bundle: PolicyBundle,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    seeds: Iterable[int] = range(1_000_000, 1_000_064),
    *,
    temperature: float = 1.0,
    max_new_tokens: int = 512,
    max_context_tokens: int = 4096,
    max_turns: int | None = None,
    batch_size: int = 64,
    sample_seed: int = 0,
    system_prompt: str | None = None,
) -> dict[str, Any]:
    """Play one episode per seed with the policy and report held-out statistics.

    Args:
        bundle: The policy (model, tokenizer, processor).
        env_id: Registered environment id.
        env_kwargs: ``gym.make`` keywords (see :func:`policy_env_kwargs` for the defaults added).
        seeds: Episode seeds (``env.reset(seed=s)``); the trainer's held-out seeds start at ``eval_seed``.
        temperature: Sampling temperature (0: greedy).
        max_new_tokens: Per-turn token limit.
        max_context_tokens: Total context limit.
        max_turns: Model turns per episode (None: the environment's setting).
        batch_size: Episodes rolled out together.
        sample_seed: Seed of the sampling RNG (forked: the caller's RNG state is untouched).
        system_prompt: Optional system message before the first user message.

    Returns:
        ``{"episodes", "accuracy", "reward", "tool_calls", "tool_errors", "images_returned", "turns",
        "response_len", "end_reasons", "per_episode"}``; per-episode values are means over episodes.
    """
    seeds = [int(s) for s in seeds]
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be >= 1")
    policy = HFPolicy(bundle, temperature=temperature, max_new_tokens=max_new_tokens, system_prompt=system_prompt)
    settings = RolloutSettings(max_new_tokens=max_new_tokens, max_context_tokens=max_context_tokens,
                               temperature=temperature)
    records: list[dict[str, Any]] = []
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices), torch.no_grad(), \
            RolloutEngine(policy, env_id, policy_env_kwargs(bundle, env_kwargs, max_turns), settings) as engine:
        torch.manual_seed(sample_seed)
        for start in range(0, len(seeds), batch_size):
            records += [episode_record(t) for t in engine.run_episodes(seeds[start:start + batch_size])]
    return summarize(records)
