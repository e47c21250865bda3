"""Group-relative advantages for GRPO (SPEC section 4).

PyVision-RL uses ``A_i = R_i - mean(R_group)`` with **no** division by the group standard deviation: the paper
found that std normalization makes training fluctuate. Normalization is available for ablations only.
"""

from __future__ import annotations

import torch


def group_advantages(rewards: torch.Tensor, normalize_std: bool = False, eps: float = 1e-6,
                     unbiased: bool = False) -> torch.Tensor:
    """Centre each group's rewards on the group mean, optionally dividing by the group std.

    The std is the **population** standard deviation (divide by G, not G - 1), the same statistic as
    ``RolloutGroup.reward_std`` and the one oversample-filter-rank ranks and filters on, so a group the filter
    calls zero-variance is exactly one whose normalized advantages are all 0. (verl's GRPO divides by the
    unbiased std instead; for G = 8 the two differ by a factor sqrt(8/7).)

    Args:
        rewards: Float tensor ``[num_groups, G]``, one row per prompt.
        normalize_std: Divide the centred rewards by ``std + eps`` (off in the paper's recipe).
        eps: Added to the std before dividing, so a zero-variance group gives 0 rather than NaN.
        unbiased: Divide by the unbiased std (G - 1), as the released PyVision-RL fork and verl do.

    Returns:
        Tensor of the same shape and dtype: the advantage of each trajectory.

    Raises:
        ValueError: ``rewards`` is not a 2-D floating-point tensor with at least one column.

    Example:
        >>> group_advantages(torch.tensor([[1.0, 0.0, 0.0, 1.0]]))
        tensor([[ 0.5000, -0.5000, -0.5000,  0.5000]])
        >>> group_advantages(torch.tensor([[1.0, 0.0, 0.0, 1.0]]), normalize_std=True, eps=0.0)
        tensor([[ 1., -1., -1.,  1.]])
        >>> group_advantages(torch.tensor([[1.0, 0.0, 0.0, 1.0]]), normalize_std=True, eps=0.0, unbiased=True)
        tensor([[ 0.8660, -0.8660, -0.8660,  0.8660]])
    """
    if not isinstance(rewards, torch.Tensor) or rewards.dim() != 2:
        shape = tuple(rewards.shape) if isinstance(rewards, torch.Tensor) else type(rewards).__name__
        raise ValueError(f"rewards must be a tensor of shape [num_groups, G], got {shape}; "
                         "stack one row of G rewards per prompt")
    if not rewards.is_floating_point():
        raise ValueError(f"rewards must be a floating-point tensor, got {rewards.dtype}; call .float() first")
    if rewards.shape[1] == 0:
        raise ValueError("rewards has 0 columns: each group needs at least one trajectory")
    centred = rewards - rewards.mean(dim=1, keepdim=True)
    if not normalize_std:
        return centred
    std = rewards.std(dim=1, keepdim=True, unbiased=unbiased)
    return centred / (std + eps)


def population_std(values: list[float] | tuple[float, ...]) -> float:
    """Population standard deviation of a list of floats (0 for fewer than two values).

    Example:
        >>> population_std([1.0, 0.0, 0.0, 1.0])
        0.5
    """
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
