"""PPO-clipped policy loss with dual clip, loss aggregation modes and the k3 KL estimator (SPEC section 4).

The per-token objective mirrors verl's ``compute_policy_loss`` (``verl/trainer/ppo/core_algos.py``)::

    ratio   = exp(clamp(logp - old_logp, -20, 20))
    l1      = -A * ratio
    l2      = -A * clamp(ratio, 1 - clip_low, 1 + clip_high)
    clipped = max(l1, l2)
    loss    = min(clipped, -A * dual_clip)  if A < 0  else clipped

so for a negative advantage the loss never exceeds ``-dual_clip * A`` (Dual-Clip PPO, arXiv 1912.09729): a token
whose ratio blew up past ``dual_clip`` gets a constant loss and no gradient. Clip fractions are counted as in
verl: ``low + high`` equals verl's ``pg_clipfrac`` and ``dual`` its ``pg_clipfrac_lower``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from trainers.settings import Settings

AGG_MODES = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum")
_LOG_RATIO_LIMIT = 20.0  # exp(20) ~ 5e8: keeps the ratio finite when old and new policies disagree wildly


def _upcast(t: torch.Tensor) -> torch.Tensor:
    """At least float32: bf16 cannot even count tokens exactly past 256, let alone average the loss."""
    return t.to(torch.promote_types(t.dtype, torch.float32)) if t.is_floating_point() else t.float()


def _check_agg(agg: str) -> None:
    if agg not in AGG_MODES:
        raise ValueError(f"agg={agg!r} is not a loss aggregation mode; use one of {', '.join(AGG_MODES)}")


def _nonzero(count: torch.Tensor) -> torch.Tensor:
    """``count``, or 1 where it is exactly 0 (an empty batch, whose sum is 0 too).

    A whole-batch count divided by the number of processes may be a fraction below 1 and must stay one: clamping
    it to 1 would shrink the gradient.
    """
    return torch.where(count == 0, torch.ones_like(count), count)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over positions where ``mask`` is 1; 0 when the mask is empty.

    Example:
        >>> masked_mean(torch.tensor([[1.0, 2.0, 9.0]]), torch.tensor([[1, 1, 0]]))
        tensor(1.5000)
    """
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def aggregate(
    values: torch.Tensor,
    mask: torch.Tensor,
    agg: str = "token-mean",
    denominator: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """Reduce a per-token matrix ``[B, T]`` to a scalar.

    Modes:
        ``token-mean``: sum over all masked tokens / number of masked tokens in the batch (the paper's choice:
        long responses weigh more).
        ``seq-mean-token-mean``: mean over sequences of each sequence's masked-token mean.
        ``seq-mean-token-sum``: mean over sequences of each sequence's masked-token sum.
    Rows with no masked token (an episode whose every token came from the env) are left out of the sequence
    mean, never counted as a zero; a batch with no masked token at all gives a zero loss that still has a graph.

    Args:
        values: Per-token values ``[B, T]``.
        mask: 0/1 (or bool) ``[B, T]``; 1 on tokens that count.
        agg: One of ``AGG_MODES``.
        denominator: Overrides the divisor: the number of masked tokens (``token-mean``) or of non-empty
            sequences (``seq-*`` modes) in the *whole* batch. Pass it when a batch is split into micro-batches
            for gradient accumulation, so that the micro-batch losses add up to the full-batch loss. It may be
            a fraction (the global count divided by the processes); only exactly 0 is replaced, by 1.

    Returns:
        A 0-dim tensor.
    """
    _check_agg(agg)
    values = _upcast(values)
    mask = mask.to(values.dtype)
    masked = values * mask
    if agg == "token-mean":
        count = mask.sum() if denominator is None else torch.as_tensor(denominator, dtype=values.dtype)
        return masked.sum() / _nonzero(count)
    row_tokens = mask.sum(dim=-1)
    row_sums = masked.sum(dim=-1)
    per_seq = row_sums / row_tokens.clamp(min=1.0) if agg == "seq-mean-token-mean" else row_sums
    if denominator is None:
        count = (row_tokens > 0).sum().to(values.dtype)
    else:
        count = torch.as_tensor(denominator, dtype=values.dtype)
    return per_seq.sum() / _nonzero(count)


def _check_shapes(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                  mask: torch.Tensor) -> torch.Tensor:
    """Validate shapes and return the advantages broadcast to ``[B, T]``."""
    if logprobs.dim() != 2:
        raise ValueError(f"logprobs must be [B, T], got shape {tuple(logprobs.shape)}")
    for name, t in (("old_logprobs", old_logprobs), ("mask", mask)):
        if t.shape != logprobs.shape:
            raise ValueError(f"{name} has shape {tuple(t.shape)} but logprobs has {tuple(logprobs.shape)}; "
                             "they must be aligned token by token")
    if advantages.shape == logprobs.shape[:1]:
        return advantages.unsqueeze(-1).expand_as(logprobs)
    if advantages.shape == logprobs.shape:
        return advantages
    raise ValueError(f"advantages must be per sequence [B]={tuple(logprobs.shape[:1])} or per token "
                     f"[B, T]={tuple(logprobs.shape)}, got {tuple(advantages.shape)}")


def _check_clips(clip_low: float, clip_high: float, dual_clip: float | None) -> None:
    if not 0.0 <= clip_low < 1.0:
        raise ValueError(f"clip_low={clip_low} must be in [0, 1): the ratio is clamped below at 1 - clip_low")
    if clip_high < 0.0:
        raise ValueError(f"clip_high={clip_high} must be >= 0: the ratio is clamped above at 1 + clip_high")
    if dual_clip is not None and dual_clip <= 1.0:
        raise ValueError(f"dual_clip={dual_clip} must be > 1 (verl requires clip_ratio_c > 1); "
                         "use 3.0 as in the paper, or None to turn dual clip off")


@dataclass(frozen=True)
class LossSettings(Settings):
    """The clipped policy objective (``GRPOConfig.loss``); checked by the same code that ``policy_loss`` runs."""

    clip_low: float = 0.2
    """PPO clip: the ratio is clamped below at ``1 - clip_low``."""
    clip_high: float = 0.2
    """PPO clip: the ratio is clamped above at ``1 + clip_high``."""
    dual_clip: float | None = 3.0
    """Dual clip c > 1: for negative advantages the loss is capped at ``-c * A``; ``none`` turns it off."""
    agg: str = "token-mean"
    """Loss aggregation: ``token-mean``, ``seq-mean-token-mean`` or ``seq-mean-token-sum``."""
    kl_coef: float = 0.0
    """Weight of the k3 KL penalty against the frozen initial policy; 0 (the paper) loads no reference model."""

    def validate(self) -> None:
        """The clip ranges and the aggregation mode, as ``policy_loss`` checks them; a non-negative KL weight."""
        _check_clips(self.clip_low, self.clip_high, self.dual_clip)
        _check_agg(self.agg)
        self._non_negative("kl_coef")


def policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    dual_clip: float | None = 3.0,
    agg: str = "token-mean",
    entropy: torch.Tensor | None = None,
    denominator: float | torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO clipped surrogate loss with separate low/high clip ranges and dual clip.

    Args:
        logprobs: Log-probs of the sampled tokens under the current policy ``[B, T]`` (with grad).
        old_logprobs: Log-probs under the sampling policy ``[B, T]``.
        advantages: Per sequence ``[B]`` (broadcast over tokens) or per token ``[B, T]``.
        mask: 1 on tokens the policy sampled, 0 on prompt, observation and padding tokens ``[B, T]``.
        clip_low: The ratio is clamped below at ``1 - clip_low``.
        clip_high: The ratio is clamped above at ``1 + clip_high``.
        dual_clip: For ``A < 0`` the loss is capped at ``-dual_clip * A``; ``None`` turns it off.
        agg: Loss aggregation, one of ``AGG_MODES`` (see ``aggregate``).
        entropy: Optional per-token entropy ``[B, T]``, reported (masked mean), never added to the loss.
        denominator: Whole-batch divisor for gradient accumulation (see ``aggregate``).

    Returns:
        ``(loss, stats)``. ``stats`` are floats over masked tokens: ``clip_frac_low`` (A < 0, ratio below
        ``1 - clip_low``), ``clip_frac_high`` (A > 0, ratio above ``1 + clip_high``), ``clip_frac`` (their sum),
        ``dual_clip_frac`` (A < 0, loss capped by dual clip), ``approx_kl`` (mean of ``old - new`` log-probs),
        ``kl_k3`` (mean of ``ratio - 1 - log ratio``, a non-negative KL(old || new) estimate), ``ratio_mean``,
        ``tokens``, and ``entropy`` when given.
    """
    adv = _check_shapes(logprobs, old_logprobs, advantages, mask)
    _check_clips(clip_low, clip_high, dual_clip)
    _check_agg(agg)
    logprobs, old_logprobs, adv = _upcast(logprobs), _upcast(old_logprobs), _upcast(adv)
    mask = mask.to(logprobs.dtype)
    log_ratio = (logprobs - old_logprobs).clamp(-_LOG_RATIO_LIMIT, _LOG_RATIO_LIMIT)
    ratio = torch.exp(log_ratio)
    loss1 = -adv * ratio
    loss2 = -adv * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    clipped = torch.maximum(loss1, loss2)
    negative = adv < 0
    if dual_clip is not None:
        loss3 = -adv * dual_clip
        per_token = torch.where(negative, torch.minimum(clipped, loss3), clipped)
        dual_hit = (clipped > loss3) & negative
    else:
        per_token = clipped
        dual_hit = torch.zeros_like(negative)
    loss = aggregate(per_token, mask, agg, denominator)

    with torch.no_grad():
        clip_hit = loss2 > loss1
        values = {
            "clip_frac_low": masked_mean((clip_hit & negative).to(mask.dtype), mask),
            "clip_frac_high": masked_mean((clip_hit & (adv > 0)).to(mask.dtype), mask),
            "dual_clip_frac": masked_mean(dual_hit.to(mask.dtype), mask),
            "approx_kl": masked_mean(-log_ratio, mask),
            "kl_k3": masked_mean(ratio - 1.0 - log_ratio, mask),
            "ratio_mean": masked_mean(ratio, mask),
            "tokens": mask.sum(),
        }
        if entropy is not None:
            if entropy.shape != logprobs.shape:
                raise ValueError(f"entropy has shape {tuple(entropy.shape)}, expected {tuple(logprobs.shape)}")
            values["entropy"] = masked_mean(entropy.detach().to(mask.dtype), mask)
        # one device-to-host copy for all stats instead of one sync per value
        stats = dict(zip(values, torch.stack(list(values.values())).double().tolist(), strict=True))
        stats["clip_frac"] = stats["clip_frac_low"] + stats["clip_frac_high"]
    return loss, stats


def kl_k3(
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    mask: torch.Tensor,
    agg: str = "token-mean",
    denominator: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """The k3 estimator of KL(policy || reference), aggregated like the policy loss.

    Per token, with ``d = ref_logp - logp``: ``k3 = exp(d) - d - 1`` (Schulman's low-variance, always
    non-negative estimator; verl's ``low_var_kl``), clamped to at most 10 as verl does. The KL penalty is off in
    the paper's recipe (``kl_coef = 0``); the trainer adds ``kl_coef * kl_k3(...)`` to the loss when asked.

    Args:
        logprobs: Current-policy log-probs ``[B, T]`` (the gradient flows through these).
        ref_logprobs: Frozen reference-model log-probs ``[B, T]``.
        mask: 1 on sampled tokens ``[B, T]``.
        agg: One of ``AGG_MODES``.
        denominator: Whole-batch divisor for gradient accumulation (see ``aggregate``).

    Returns:
        A 0-dim tensor.

    Example:
        >>> round(kl_k3(torch.tensor([[0.0]]), torch.tensor([[1.0]]), torch.tensor([[1]])).item(), 4)
        0.7183
    """
    if ref_logprobs.shape != logprobs.shape or mask.shape != logprobs.shape:
        raise ValueError(f"logprobs {tuple(logprobs.shape)}, ref_logprobs {tuple(ref_logprobs.shape)} and mask "
                         f"{tuple(mask.shape)} must have the same [B, T] shape")
    d = (_upcast(ref_logprobs) - _upcast(logprobs)).clamp(-_LOG_RATIO_LIMIT, _LOG_RATIO_LIMIT)
    per_token = (torch.exp(d) - d - 1.0).clamp(max=10.0)
    return aggregate(per_token, mask, agg, denominator)
