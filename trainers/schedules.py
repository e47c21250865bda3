"""Learning-rate schedules shared by the SFT and GRPO trainers: linear warm-up, then constant, linear or cosine."""

from __future__ import annotations

import math
from collections.abc import Callable

LR_SCHEDULES = ("constant", "linear", "cosine")


def lr_factor(schedule: str, warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    """The multiplier of the base learning rate at optimizer step ``s`` (0-based), for ``LambdaLR``.

    Warm-up rises linearly to 1 over ``warmup_steps``: ``(s + 1) / (warmup_steps + 1)``, so step 0 never uses a
    zero rate. After it, ``linear`` and ``cosine`` decay towards 0 at ``total_steps`` (the last step still has a
    small positive rate), ``constant`` stays at 1.

    Raises:
        ValueError: An unknown schedule name.
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule={schedule!r}: expected one of {LR_SCHEDULES}")
    warm, total = max(int(warmup_steps), 0), max(int(total_steps), 1)

    def factor(s: int) -> float:
        if s < warm:
            return (s + 1) / (warm + 1)
        if schedule == "constant" or total <= warm:
            return 1.0
        done = (s - warm) / (total - warm)  # 0 at the first step after warm-up, < 1 at the last step
        return 1.0 - done if schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * done))

    return factor
