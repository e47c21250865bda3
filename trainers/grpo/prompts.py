"""The training prompt stream: episode seeds as a pure function of their index, sharded over processes."""

from __future__ import annotations

import numpy as np


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
