"""SFT data: recorded conversations tokenized exactly as the rollout engine builds trajectories, and batched.

A conversation ``[system?, user, assistant, user, assistant, ...]`` becomes::

    chat.prompt_ids(tok, [system?, user])              labels -100 (prompt)
    + encode(assistant_1)                              labels = ids (what the policy samples)
    + chat.observation_ids(tok, user_2, sampled=...)   labels -100 (turn tail + observation + gen prompt)
    + encode(assistant_2) ...

which is the token sequence a rollout produces when the policy samples ``encode(assistant_i)``: the same
functions of :mod:`agents.chat` build both, so SFT and RL see identical token sequences. Trailing user messages
(a turn-limit notice) carry nothing to learn and are dropped. For vision-language models the user messages'
images become image parts whose ``<|image_pad|>`` runs are expanded for the image processor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from agents import chat

IGNORE = -100


@dataclass(frozen=True)
class TokenizedConversation:
    """One conversation's tokens, its labels (``-100`` except on assistant tokens) and its in-context images."""

    ids: tuple[int, ...]
    labels: tuple[int, ...]
    images: tuple[Image.Image, ...] = ()
    source: str = ""

    @property
    def assistant_tokens(self) -> int:
        """Tokens that carry loss."""
        return sum(1 for x in self.labels if x != IGNORE)


def _user(m: Mapping[str, Any], vision: bool) -> dict[str, Any]:
    return chat.user_message(m["content"], m.get("images") or (), vision=vision)


def tokenize_conversation(tokenizer: Any, messages: Sequence[Mapping[str, Any]], processor: Any | None = None,
                          source: str = "") -> TokenizedConversation:
    """Token ids and labels of a conversation, built as the rollout builds a trajectory (module docstring).

    Args:
        tokenizer: A tokenizer with a chat template.
        messages: ``{"role", "content", "images"?}`` dicts: optional system messages, the user prompt, then
            alternating assistant and user messages.
        processor: The VL model's image processor (images in context), or None for text-only models.
        source: Where the conversation came from (``file:line``), for error messages.

    Raises:
        ValueError: The roles do not alternate as a rollout's do.
    """
    vision = processor is not None
    i = 0
    head: list[dict[str, Any]] = []
    while i < len(messages) and messages[i]["role"] == "system":
        head.append({"role": "system", "content": messages[i]["content"]})
        i += 1
    if i >= len(messages) or messages[i]["role"] != "user":
        raise ValueError(f"{source or 'conversation'}: expected the user prompt after the system messages")
    head.append(_user(messages[i], vision))
    images = list(messages[i].get("images") or ()) if vision else []
    ids = chat.prompt_ids(tokenizer, head, processor)
    labels = [IGNORE] * len(ids)
    last: list[int] = []
    expect = "assistant"
    for m in messages[i + 1:]:
        if m["role"] != expect:
            raise ValueError(f"{source or 'conversation'}: got a {m['role']} message where a {expect} message "
                             "belongs; turns must alternate assistant / user after the prompt")
        if expect == "assistant":
            last = chat.encode(tokenizer, m["content"])
            ids += last
            labels += last
        else:
            obs = chat.observation_ids(tokenizer, m["content"], images=m.get("images") or (), processor=processor,
                                       sampled=last)
            ids += obs
            labels += [IGNORE] * len(obs)
            if vision:
                images += list(m.get("images") or ())
        expect = "user" if expect == "assistant" else "assistant"
    while labels and labels[-1] == IGNORE:  # a trailing observation: nothing sampled after it
        ids.pop()
        labels.pop()
    return TokenizedConversation(tuple(ids), tuple(labels), tuple(images), source)


def truncate(conv: TokenizedConversation, max_tokens: int, image_pad_id: int | None = None) -> TokenizedConversation:
    """Cut a conversation to ``max_tokens`` from the end; an image whose pad run would be cut is cut whole."""
    if len(conv.ids) <= max_tokens:
        return conv
    end = max_tokens
    images = list(conv.images)
    if image_pad_id is not None and images:
        runs, start = [], None  # (start, stop) of each image's pad run, in order
        for k, t in enumerate(conv.ids):
            if t == image_pad_id and start is None:
                start = k
            elif t != image_pad_id and start is not None:
                runs.append((start, k))
                start = None
        if start is not None:
            runs.append((start, len(conv.ids)))
        keep = [r for r in runs if r[1] <= end]
        if len(keep) < len(runs):
            end = min(end, max(runs[len(keep)][0] - 1, 0))  # drop the cut image's vision-start token too
        images = images[:len(keep)]
    return TokenizedConversation(conv.ids[:end], conv.labels[:end], tuple(images), conv.source)


def collate(batch: Sequence[TokenizedConversation], pad_id: int, processor: Any | None = None
            ) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask``, ``labels`` (and image features for VL models).

    Right padding keeps every real token at its unpadded position, as in the rollout's left-padded generation
    (where positions come from the attention mask).
    """
    width = max(len(c.ids) for c in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, c in enumerate(batch):
        n = len(c.ids)
        ids[row, :n] = torch.tensor(c.ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(c.labels, dtype=torch.long)
        mask[row, :n] = 1
    out = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    flat = [im for c in batch for im in c.images]
    if processor is not None and flat:
        feats = processor(images=flat, return_tensors="pt")
        out["pixel_values"] = feats["pixel_values"]
        out["image_grid_thw"] = feats["image_grid_thw"]
    return out


def keep_mask(labels: torch.Tensor) -> torch.Tensor:
    """Boolean ``[B, T]``: positions whose next token carries a label (the only logits the loss needs)."""
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE
    return keep


def assistant_loss_sum(model: Any, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Summed next-token cross entropy over the assistant tokens of a collated batch.

    Logits are computed only where a label follows (``logits_to_keep`` with a boolean mask), which skips the
    vocabulary projection over the long prompt and observation stretches. Models whose forward does not take
    ``logits_to_keep`` get full logits.
    """
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    labels = batch["labels"]
    keep = keep_mask(labels)
    targets = labels[:, 1:][keep[:, :-1]]
    try:
        logits = model(**inputs, use_cache=False, logits_to_keep=keep).logits
    except TypeError:  # an older or custom model without logits_to_keep
        logits = model(**inputs, use_cache=False).logits[keep]
    logits = logits.reshape(-1, logits.shape[-1]).float()
    return torch.nn.functional.cross_entropy(logits, targets, reduction="sum")
