"""GRPO for multi-turn PyVision agents: advantages, the clipped policy loss and oversample-filter-rank batching.

The math lives in small pure functions (``advantages``, ``loss``) tested against hand-computed values;
``ofr`` turns rollout rounds into one training batch exactly as SPEC section 4 describes.
"""

from trainers.grpo.advantages import group_advantages, population_std
from trainers.grpo.loss import AGG_MODES, LossSettings, aggregate, kl_k3, masked_mean, policy_loss
from trainers.grpo.ofr import (
    OFR_MODES,
    OFRBatch,
    OFRSettings,
    OFRStats,
    oversample_filter_rank,
    training_reward,
)

__all__ = [
    "AGG_MODES", "LossSettings", "OFR_MODES", "OFRBatch", "OFRSettings", "OFRStats", "aggregate", "group_advantages", "kl_k3",
    "masked_mean", "oversample_filter_rank", "policy_loss", "population_std", "training_reward",
]
