"""KV-cache reuse across turns: a multi-turn conversation is prefilled once, not again at every turn.

Without it, every turn's ``generate`` re-runs the whole context (prompt, earlier turns, observations) through the
model before sampling. A :class:`PrefixCache` keeps, per conversation key, the token ids whose keys and values
are known and those tensors (``[heads, tokens, head_dim]`` per layer, one row's own copy). At the next turn a
row reuses the longest common prefix of what is cached and its new context (the KV of position ``t`` depends
on tokens ``<= t`` only, so any prefix of a cached prefix is valid) and only the rest is prefilled.

**Batched layout.** Rows reuse different lengths ``L_i``, so the batch is laid out as::

    [left pad][the L_i cached tokens][middle pad][the row's new tokens]
    |<-------- P = max L_i --------->|<---- S = max new tokens ---->|

with the attention mask 0 on both pads. ``generate`` is given the cache for the first ``P`` columns and the
full ids and mask; it prefills only the last ``S`` columns, and takes each token's position from the cumulative
sum of the mask, so every real token keeps the position it has in a right-padded one-pass forward (RoPE keys in
the cache were computed at those same positions).

**Shared prompts.** The G members of a group start from the same prompt: :func:`prefill` runs each distinct
context (all but its last token) once and hands the rows a shared prefix, so a group's first turn prefills one
prompt instead of G.

Exactness: reused keys and values are the ones a fresh prefill would compute, up to float rounding of a
different batch shape, exactly as for the tokens decoded within one ``generate`` call; the one-pass log-prob
test bounds (``tests/trainers/test_rollout.py``) hold with reuse on. Text-only causal LMs only: a VL model's
multimodal rotary positions are not the cumulative mask.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import torch

KV = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values, each [heads, tokens, head_dim]


@dataclass
class _Prefix:
    ids: tuple[int, ...]
    kv: KV


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PrefixCache:
    """Known keys and values per conversation key (the rollout engine keys them by episode)."""

    def __init__(self) -> None:
        self._store: dict[Hashable, _Prefix] = {}

    def __len__(self) -> int:
        return len(self._store)

    def reusable(self, key: Hashable, context: Sequence[int]) -> int:
        """How many leading tokens of ``context`` have cached KV (at most ``len(context) - 1``: one is fed)."""
        entry = self._store.get(key)
        return 0 if entry is None else min(_common(entry.ids, context), len(context) - 1)

    def kv(self, key: Hashable, length: int) -> KV:
        """The first ``length`` positions of ``key``'s cached KV."""
        return [(k[:, :length], v[:, :length]) for k, v in self._store[key].kv]

    def put(self, key: Hashable, ids: Sequence[int], kv: KV) -> None:
        """Remember ``kv`` as the KV of ``ids`` for ``key`` (replacing what was there)."""
        self._store[key] = _Prefix(tuple(ids), kv)

    def drop(self, key: Hashable) -> None:
        """Forget ``key`` (its conversation ended)."""
        self._store.pop(key, None)

    def clear(self) -> None:
        """Forget every conversation."""
        self._store.clear()


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids from an attention mask with pads anywhere: real tokens count 0, 1, 2, ...; pads get 0."""
    return (mask.long().cumsum(-1) - 1).clamp_min(0) * mask.long()


@torch.no_grad()
def prefill(model: torch.nn.Module, cache: PrefixCache, keys: Sequence[Hashable],
            contexts: Sequence[Sequence[int]], pad_id: int) -> None:
    """Fill ``cache`` for rows that have nothing reusable: each distinct context (minus its last token) once."""
    todo: dict[tuple[int, ...], list[Hashable]] = {}
    for key, ctx in zip(keys, contexts, strict=True):
        if cache.reusable(key, ctx) == 0 and len(ctx) > 1:
            todo.setdefault(tuple(ctx[:-1]), []).append(key)
    if not todo:
        return
    prompts = list(todo)
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):
        ids[row, width - len(p):] = torch.tensor(p, dtype=torch.long)
        mask[row, width - len(p):] = 1
    device = next(model.parameters()).device
    mask = mask.to(device)
    out = model(input_ids=ids.to(device), attention_mask=mask, position_ids=positions(mask), use_cache=True,
                logits_to_keep=1)
    for row, p in enumerate(prompts):
        kv = take(out.cache if hasattr(out, "cache") else out.past_key_values, row, mask[row].bool(), 0)
        for key in todo[p]:
            cache.put(key, p, kv)  # the group's rows share one copy until their turns differ


def assemble(cache: PrefixCache, keys: Sequence[Hashable], contexts: Sequence[Sequence[int]], pad_id: int,
             device: torch.device) -> tuple[torch.Tensor, torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]] | None]:
    """Ids, mask and per-layer batched KV (``[B, heads, P, head_dim]``; None when nothing is reused)."""
    reuse = [cache.reusable(k, c) for k, c in zip(keys, contexts, strict=True)]
    p = max(reuse)
    s = max(len(c) - n for c, n in zip(contexts, reuse, strict=True))
    width = p + s
    ids = torch.full((len(contexts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(contexts), width), dtype=torch.long)
    layers: list[tuple[torch.Tensor, torch.Tensor]] | None = None
    for row, (key, ctx, n) in enumerate(zip(keys, contexts, reuse, strict=True)):
        ids[row, p - n:p] = torch.tensor(list(ctx[:n]), dtype=torch.long)
        ids[row, width - (len(ctx) - n):] = torch.tensor(list(ctx[n:]), dtype=torch.long)
        mask[row, p - n:p] = 1
        mask[row, width - (len(ctx) - n):] = 1
        if n == 0:
            continue
        kv = cache.kv(key, n)
        if layers is None:
            layers = [(k.new_zeros((len(contexts), k.shape[0], p, k.shape[2])),
                       v.new_zeros((len(contexts), v.shape[0], p, v.shape[2]))) for k, v in kv]
        for (bk, bv), (k, v) in zip(layers, kv, strict=True):
            bk[row, :, p - n:] = k
            bv[row, :, p - n:] = v
    return ids.to(device), mask.to(device), layers


def take(batch_cache, row: int, real: torch.Tensor, extra: int) -> KV:
    """One row's KV from a batched cache: the columns where ``real`` is true, then ``extra`` decoded positions."""
    width = real.shape[0]
    idx = torch.cat([torch.nonzero(real).flatten(),
                     torch.arange(width, width + extra, device=real.device)])
    out = []
    for layer in batch_cache.layers:
        out.append((layer.keys[row].index_select(1, idx), layer.values[row].index_select(1, idx)))
    return out
