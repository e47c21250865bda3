"""GRPO for multi-turn PyVision agents: advantages, the clipped policy loss and oversample-filter-rank batching.

The math lives in small pure functions (``advantages``, ``loss``) tested against hand-computed values;
``ofr`` turns rollout rounds into one training batch exactly as SPEC section 4 describes.
"""

from trainers.grpo.advantages import group_advantages
from trainers.grpo.loss import AGG_MODES, aggregate, kl_k3, masked_mean, policy_loss

__all__ = ["AGG_MODES", "aggregate", "group_advantages", "kl_k3", "masked_mean", "policy_loss"]
