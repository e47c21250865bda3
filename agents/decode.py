"""Batched sampling for text-only causal LMs that drops each row from the batch as soon as it finishes.

``transformers.generate`` keeps every row in the batch until the last one ends: a group whose turns are 60 tokens
long but for one 320-token row pays 320 full-batch decode steps (held-out evaluations of the tiny preset used 21-62%
of the rows they computed). Here a finished row leaves the batch, its KV cache rows included, so each step costs
what the rows still writing need. The sampled distribution is the one ``HFPolicy`` documents: suppressed ids and
ids past the tokenizer at ``-inf``, then the temperature; the log-prob of each sampled id is read from that same
distribution. A row ends on an end-of-turn/eos id, on a stop string (``StopStringCriteria`` on the row's last
tokens, as ``generate`` applies it) or at ``max_new_tokens``.

VL models keep ``generate``: their multimodal rotary positions are not the cumulative mask used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache, StopStringCriteria

from agents.kv_prefix import KV, positions, take


@dataclass
class Decoded:
    """Per input row: sampled ids, their log-probs, why the row ended, and (``keep_kv``) its cache."""

    tokens: list[list[int]]
    logprobs: list[list[float]]
    reasons: list[str]
    kv: list[KV] | None


def masked_scores(logits: torch.Tensor, temperature: float, suppress: Sequence[int], vocab_limit: int | None
                  ) -> torch.Tensor:
    """The scores sampled from: suppressed ids and ids from ``vocab_limit`` on at ``-inf``, then / temperature."""
    scores = logits.float()
    vocab_limit = vocab_limit if vocab_limit and vocab_limit < scores.shape[1] else None
    if suppress or vocab_limit:
        scores = scores.clone()
        scores[:, list(suppress)] = float("-inf")
        if vocab_limit:  # embedding rows past the tokenizer (padding to a multiple of 64/128) are no tokens
            scores[:, vocab_limit:] = float("-inf")
    return scores / temperature if temperature != 1.0 else scores


@torch.no_grad()
def sample(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor, cache: DynamicCache | None, *,
           max_new_tokens: int, temperature: float, eos_ids: Sequence[int], stop: StopStringCriteria | None,
           suppress: Sequence[int] = (), vocab_limit: int | None = None, keep_kv: bool = False) -> Decoded:
    """Sample up to ``max_new_tokens`` ids for every row of a left-padded (or :mod:`agents.kv_prefix`) batch.

    Args:
        model: A text-only causal LM.
        ids: ``[B, W]`` token ids; every row's last column is a real token.
        mask: ``[B, W]`` attention mask (0 on pads, wherever they are).
        cache: KV of the first ``cache.get_seq_length()`` columns (KV reuse), or None to prefill all of them.
        max_new_tokens: Most ids sampled per row.
        temperature: 0 is greedy (argmax of the masked scores); the log-probs are then at temperature 1.
        eos_ids: Ids that end a row (end of turn, eos); the id is kept.
        stop: Stop strings, checked on each row's last ids after every step; None: none.
        suppress: Ids never sampled (their scores are ``-inf``).
        vocab_limit: Ids from here on are never sampled (embedding rows past the tokenizer).
        keep_kv: Return each row's cache (its real context columns, then every sampled id but the last).
    """
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens={max_new_tokens} must be >= 1")
    batch = ids.shape[0]
    eos = torch.tensor(sorted(set(eos_ids)), dtype=torch.long, device=ids.device)
    pos = positions(mask)
    start = cache.get_seq_length() if cache is not None else 0
    out = model(input_ids=ids[:, start:], attention_mask=mask, position_ids=pos[:, start:],
                cache=cache if cache is not None else DynamicCache(), use_cache=True, logits_to_keep=1)
    cache = out.cache
    real = mask.bool()  # each input row's real columns (its KV to keep when it ends)
    window = ids[:, -stop.maximum_token_len:] if stop is not None else None
    rows = torch.arange(batch, device=ids.device)  # the input row of each row still in the batch
    next_pos = pos[:, -1] + 1
    steps: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (rows, ids, log-probs) per step
    reasons = ["length"] * batch
    kept: list[KV | None] = [None] * batch
    logits = out.logits[:, -1]
    for t in range(1, max_new_tokens + 1):
        scores = masked_scores(logits, temperature or 1.0, suppress, vocab_limit)
        logp = torch.log_softmax(scores, dim=-1)
        if temperature > 0:
            nxt = torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1).squeeze(1)
        else:
            nxt = scores.argmax(dim=-1)
        steps.append((rows, nxt, logp.gather(1, nxt[:, None]).squeeze(1)))
        is_eos = torch.isin(nxt, eos)
        hit = torch.zeros_like(is_eos)
        if window is not None:
            window = torch.cat([window[:, 1:], nxt[:, None]], dim=1)
            hit = stop(window, None).to(is_eos.device)
        done = is_eos | hit
        if t == max_new_tokens:
            done[:] = True
        for i in torch.nonzero(done).flatten().tolist():
            row = int(rows[i])
            reasons[row] = "eos" if bool(is_eos[i]) else "stop" if bool(hit[i]) else "length"
            if keep_kv:  # the cache holds the context and every sampled id but the last (never fed back)
                kept[row] = take(cache, i, real[row], t - 1)
        if bool(done.all()):
            break
        if bool(done.any()):
            keep = torch.nonzero(~done).flatten()
            cache.batch_select_indices(keep)
            rows, nxt, next_pos, mask = rows[keep], nxt[keep], next_pos[keep], mask[keep]
            window = window[keep] if window is not None else None
        mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
        logits = model(input_ids=nxt[:, None], attention_mask=mask, position_ids=next_pos[:, None],
                       cache=cache, use_cache=True).logits[:, -1]
        next_pos = next_pos + 1
    tokens: list[list[int]] = [[] for _ in range(batch)]
    logprobs: list[list[float]] = [[] for _ in range(batch)]
    for step_rows, step_ids, step_lp in steps:
        for row, tok, lp in zip(step_rows.tolist(), step_ids.tolist(), step_lp.tolist(), strict=True):
            tokens[row].append(tok)
            logprobs[row].append(lp)
    return Decoded(tokens, logprobs, reasons, kept if keep_kv else None)
