"""Small pieces of the GRPO trainer: the prompt stream, per-step rollout tallies, accelerate setup, freezing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from pyvision_envs.types import EndReason, Trajectory

T = TypeVar("T")


class PromptStream:
    """An endless, deterministic stream of training episode seeds, sharded over processes.

    Prompt ``k`` of the run is the episode seed ``SeedSequence([seed, k]) mod limit``, a pure function of ``k``,
    so the stream can be resumed from a position without replaying it. Process ``rank`` of ``world`` takes prompts
    ``rank, rank + world, rank + 2 * world, ...``; ``position`` counts the prompts this process has taken.

    Args:
        seed: The run seed.
        limit: Seeds are drawn below this (the held-out seeds start at ``eval_seed``).
        rank: This process's index.
        world: Number of processes.
        position: Prompts already taken (to resume).
    """

    def __init__(self, seed: int, limit: int, rank: int = 0, world: int = 1, position: int = 0) -> None:
        if limit < 1:
            raise ValueError(f"limit={limit} must be >= 1 (it is eval_seed: training seeds are drawn below it)")
        self.seed, self.limit, self.rank, self.world, self.position = seed, limit, rank, world, position

    def seed_of(self, k: int) -> int:
        """The episode seed of the run's ``k``-th prompt."""
        return int(np.random.SeedSequence([self.seed, k]).generate_state(2, np.uint64)[0] % self.limit)

    def __iter__(self) -> PromptStream:
        return self

    def __next__(self) -> int:
        k = self.rank + self.world * self.position
        self.position += 1
        return self.seed_of(k)


class StepLog:
    """Tallies over every trajectory generated in one step (before any filter): the honest rollout curve."""

    def __init__(self) -> None:
        self.trajectories: list[Trajectory] = []

    def add(self, trajectories: Sequence[Trajectory]) -> None:
        """Count a round's trajectories."""
        self.trajectories += list(trajectories)

    def rollout_metrics(self) -> dict[str, float]:
        """``rollout/*`` means per episode and the share of each end reason (the same keys every step)."""
        ts = self.trajectories
        n = max(len(ts), 1)
        out = {
            "rollout/episodes": float(len(ts)),
            "rollout/reward": sum(t.reward for t in ts) / n,
            "rollout/accuracy": sum(t.terms.accuracy for t in ts) / n,
            "rollout/tool_calls": sum(t.tool_calls for t in ts) / n,
            "rollout/tool_errors": sum(t.tool_errors for t in ts) / n,
            "rollout/images_returned": sum(t.images_returned for t in ts) / n,
            "rollout/turns": sum(t.turns for t in ts) / n,
            "rollout/response_len": sum(t.response_len for t in ts) / n,
            "rollout/sampled_tokens": float(sum(t.response_len for t in ts)),
        }
        for reason in EndReason:
            if reason is not EndReason.NONE:
                out[f"rollout/end_{reason.value}"] = sum(t.end_reason is reason for t in ts) / n
        return out


def split(items: Sequence[T], parts: int) -> list[list[T]]:
    """Cut ``items`` into ``parts`` contiguous chunks of near-equal size (some empty when there are few items).

    >>> split([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4, 5]]
    >>> split([1], 3)
    [[], [], [1]]
    """
    n = len(items)
    return [list(items[i * n // parts:(i + 1) * n // parts]) for i in range(parts)]


def freeze_vision_tower(model: Any) -> int:
    """Stop gradients to the vision tower (parameters named ``visual``); returns how many were frozen."""
    frozen = 0
    for name, p in model.named_parameters():
        if ".visual." in f".{name}":
            p.requires_grad_(False)
            frozen += 1
    return frozen


def make_accelerator(bf16: bool, find_unused: bool = False) -> Any:
    """An ``Accelerator`` on CUDA when there is one (bf16 autocast if asked), else on CPU in float32.

    ``find_unused``: let DDP tolerate parameters without a gradient in a step (a trainable vision tower on a
    text-only batch).
    """
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    cuda = torch.cuda.is_available()
    handlers = [DistributedDataParallelKwargs(find_unused_parameters=find_unused)] if find_unused else []
    return Accelerator(cpu=not cuda, mixed_precision="bf16" if bf16 and cuda else "no", kwargs_handlers=handlers)
