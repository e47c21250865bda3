"""Trajectories to tensors, and the log-probabilities the GRPO loss needs.

``collate`` right-pads token-exact trajectories into ``[B, T]`` tensors (right padding, so every real token keeps
the position id it had during generation, where left padding was undone through the attention mask).
``token_logprobs`` runs the model once over a collated batch and returns, for each position ``t >= 1``, the
log-probability of token ``t`` given tokens ``< t`` under ``softmax(logits / temperature)`` (computed only from the
batch's first sampled position on: the prompt's logits are never scored, and skipping them saves the largest
``[B, T, vocab]`` tensor of the update), the same
distribution the sampler used, so on the sampling policy the ratio to ``old_logprobs`` starts at 1.
Vision-language trajectories carry their processed images (``Trajectory.vision_inputs``: ``pixel_values`` and
``image_grid_thw``, made once by the rollout engine); they are concatenated in row order for the forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from pyvision_envs.types import Trajectory

T = TypeVar("T")


def split(items: Sequence[T], parts: int) -> list[list[T]]:
    """Cut ``items`` into ``parts`` contiguous chunks of near-equal size (mini- and micro-batches).

    Some chunks are empty when there are fewer items than parts:

    >>> split([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4, 5]]
    >>> split([1], 3)
    [[], [], [1]]
    """
    n = len(items)
    return [list(items[i * n // parts:(i + 1) * n // parts]) for i in range(parts)]


def micro_batches(lengths: Sequence[int], parts: int, max_tokens: int = 0) -> list[list[int]]:
    """Indices of the rows of each micro-batch: ``parts`` contiguous chunks, or packed by padded size.

    With ``max_tokens``, rows are sorted longest first and a micro-batch holds rows while
    ``rows x longest <= max_tokens`` (a longer row goes alone).

    >>> micro_batches([5, 1, 4, 2], 2)
    [[0, 1], [2, 3]]
    >>> micro_batches([5, 1, 4, 2], 2, max_tokens=10)
    [[0, 2], [3, 1]]
    """
    if max_tokens <= 0:
        return split(list(range(len(lengths))), parts)
    out: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda j: -lengths[j]):
        if out and (len(out[-1]) + 1) * lengths[out[-1][0]] <= max_tokens:
            out[-1].append(i)
        else:
            out.append([i])
    return out


@dataclass
class TokenBatch:
    """A right-padded batch of trajectories.

    Attributes:
        input_ids: ``[B, T]`` token ids (pad id after each row's end).
        attention_mask: ``[B, T]``, 1 on real tokens.
        loss_mask: ``[B, T]``, 1 on sampled tokens.
        old_logprobs: ``[B, T]`` sampling log-probs (0 off the loss mask).
        pixel_values: Concatenated processed images of every row (VL models), else None.
        image_grid_thw: Their grids, ``[num_images, 3]``, else None.
        start: The first position any row has on the loss mask (>= 1): logits before it are never needed.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    loss_mask: torch.Tensor
    old_logprobs: torch.Tensor
    pixel_values: torch.Tensor | None = None
    image_grid_thw: torch.Tensor | None = None
    start: int = 1

    def to(self, device: torch.device | str) -> TokenBatch:
        """The same batch on ``device``."""
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return TokenBatch(*(move(getattr(self, f)) for f in (
            "input_ids", "attention_mask", "loss_mask", "old_logprobs", "pixel_values", "image_grid_thw")),
            start=self.start)

    @property
    def num_tokens(self) -> int:
        """Sampled tokens in the batch."""
        return int(self.loss_mask.sum())


def collate(trajectories: Sequence[Trajectory], pad_id: int) -> TokenBatch:
    """Right-pad trajectories into a :class:`TokenBatch` (float32 log-probs)."""
    if not trajectories:
        raise ValueError("collate needs at least one trajectory")
    width = max(len(t.token_ids) for t in trajectories)
    ids = torch.full((len(trajectories), width), pad_id, dtype=torch.long)
    attn = torch.zeros((len(trajectories), width), dtype=torch.long)
    mask = torch.zeros((len(trajectories), width), dtype=torch.float32)
    old = torch.zeros((len(trajectories), width), dtype=torch.float32)
    for row, t in enumerate(trajectories):
        n = len(t.token_ids)
        ids[row, :n] = torch.tensor(t.token_ids, dtype=torch.long)
        attn[row, :n] = 1
        mask[row, :n] = torch.tensor(t.loss_mask, dtype=torch.float32)
        old[row, :n] = torch.tensor(t.old_logprobs, dtype=torch.float32)
    pixels = [t.vision_inputs["pixel_values"] for t in trajectories if "pixel_values" in t.vision_inputs]
    grids = [t.vision_inputs["image_grid_thw"] for t in trajectories if "image_grid_thw" in t.vision_inputs]
    sampled = mask.nonzero()
    start = max(int(sampled[:, 1].min()), 1) if len(sampled) else 1
    return TokenBatch(ids, attn, mask, old, torch.cat(pixels) if pixels else None,
                      torch.cat(grids) if grids else None, start=start)


def dummy_batch(pad_id: int) -> TokenBatch:
    """One pad token with an empty loss mask: a process with no data still joins a synchronized backward."""
    zero = torch.zeros((1, 2), dtype=torch.float32)
    return TokenBatch(torch.full((1, 2), pad_id, dtype=torch.long), torch.ones((1, 2), dtype=torch.long),
                      zero, zero.clone())


def _model_inputs(model: Any, batch: TokenBatch) -> dict[str, torch.Tensor]:
    inputs = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
    if batch.pixel_values is not None:
        dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
        inputs["pixel_values"] = batch.pixel_values.to(dtype)
        inputs["image_grid_thw"] = batch.image_grid_thw
    return inputs


def _mask_unsampled(logits: torch.Tensor, suppress: Sequence[int], vocab_limit: int | None) -> torch.Tensor:
    """The sampler's mask: suppressed ids and ids from ``vocab_limit`` on get the lowest finite logit.

    Finite, not -inf: an observation token that is a masked id (an image pad) then gets a finite log-prob,
    which the loss mask drops, where -inf would turn the KL and the entropy into NaN.
    """
    limit = vocab_limit if vocab_limit is not None and vocab_limit < logits.shape[-1] else None
    if not suppress and limit is None:
        return logits
    banned = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
    banned[list(suppress)] = True
    if limit is not None:
        banned[limit:] = True
    return logits.masked_fill(banned, torch.finfo(logits.dtype).min)


def token_logprobs(model: Any, batch: TokenBatch, temperature: float = 1.0, with_entropy: bool = False,
                   suppress: Sequence[int] = (), vocab_limit: int | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-probabilities of each next token under ``softmax(logits / temperature)``, masked as the sampler masks.

    Args:
        model: A causal LM (or Qwen2-VL style model); called once with the batch.
        batch: A collated batch on the model's device.
        temperature: The sampling temperature (0 is read as 1: greedy samples were scored under softmax(logits)).
        with_entropy: Also return the per-token entropy of that distribution (no gradient).
        suppress: Ids the sampler never draws (``HFPolicy.suppressed_ids``: a VL model's vision placeholders).
        vocab_limit: Ids from this one on are never drawn either (``HFPolicy.vocab_limit``: the tokenizer's size).

    Returns:
        ``(logprobs, entropy)``, each ``[B, T - 1]`` aligned with ``batch.input_ids[:, 1:]``; entropy is None
        unless asked for. Log-probs are float32 with the gradient attached.
    """
    width = batch.input_ids.shape[1]
    keep = width - batch.start + 1  # logits of positions start-1 .. T-1 (the prompt's are never scored)
    logits = model(**_model_inputs(model, batch), logits_to_keep=keep).logits[:, :-1].float()
    if temperature > 0 and temperature != 1.0:
        logits = logits / temperature
    logits = _mask_unsampled(logits, suppress, vocab_limit)
    targets = batch.input_ids[:, batch.start:].unsqueeze(-1)
    # log p(target) = logit(target) - logsumexp(logits): one [B, T, V] temporary fewer than log_softmax + gather
    norm = torch.logsumexp(logits, dim=-1)
    pad = (batch.start - 1, 0)  # zeros before `start` keep the [B, T - 1] alignment; the mask is 0 there
    logps = torch.nn.functional.pad(logits.gather(-1, targets).squeeze(-1) - norm, pad)
    entropy = None
    if with_entropy:
        with torch.no_grad():
            probs = torch.softmax(logits, dim=-1)
            entropy = torch.nn.functional.pad(norm - (probs * logits).sum(-1), pad)
    return logps, entropy
