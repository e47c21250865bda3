"""The metrics of one GRPO step that describe its data: every generated rollout, and the batch kept from them.

Each is computed once, here: ``rollout/*`` over every trajectory generated in the step (before any filter: the
honest training curve), ``batch/*`` over the trajectories the update trained on. Oversample-filter-rank reports
its own counts (``OFRStats``: rounds, filters, pool, ranking) and nothing that these already say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pyvision_envs.types import EndReason, Trajectory
from trainers.grpo.ofr import OFRBatch


def rollout_metrics(trajectories: Sequence[Trajectory]) -> dict[str, float]:
    """``rollout/*`` means per episode and the share of each end reason (the same keys every step)."""
    ts = trajectories
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


def batch_metrics(batch: OFRBatch) -> dict[str, float]:
    """``batch/*``: the training reward, size, tokens, mean |advantage| and answered share of the kept batch."""
    n = max(len(batch), 1)
    ends = Counter(t.end_reason.value for t in batch.trajectories)
    return {"batch/reward": sum(batch.rewards) / n, "batch/size": float(len(batch)),
            "batch/tokens": float(sum(len(t.token_ids) for t in batch.trajectories)),
            "batch/abs_advantage": sum(abs(a) for a in batch.advantages) / n,
            "batch/answered_share": ends.get("answered", 0) / n}
