"""A real tiny policy that plays the PyVision protocol at random, for rollout and GRPO tests.

A random-weight model almost never writes ``<answer>`` or ``<code>``, so every reward is 0 and GRPO has nothing
to learn. ``protocol_policy`` turns the ``tiny`` preset into a *bigram* model: the attention output projections
are zeroed (so each position sees its own token only) and the rest is fitted in about a second to this table
of next-token distributions over the tiny tokenizer's tokens::

    "\\n"                    -> OPEN 0.4 | "\\boxed{" 0.4 | "show" 0.2   ("\\n" ends the generation prompt)
    OPEN = "<code>\\n```python\\n" -> "show"                            (a code turn: show(image_clue_0))
    "show" -> "(" -> "image" -> "_clue" -> "_" -> "0" -> ")" -> CLOSE = "\\n```\\n</code>"
    "\\boxed{" -> "A" | "B" | "C" | "D" (0.25 each) -> "}" -> "</answer>"

so a turn is a tool call that shows an image, a boxed answer with a random letter (``\\boxed{C}</answer>``, read
as an answer), or a malformed turn; choice tasks are answered correctly a quarter of the time, with 0 to 4 tool
calls before. Because the context does not matter to a bigram, short training sequences teach it exactly what it
does after a 450-token prompt. Training later unfreezes everything (the zeroed projections get gradients too).
"""

from __future__ import annotations

import torch

from agents import chat
from agents.presets import PolicyBundle, load_preset

TRANSITIONS: dict[str, dict[str, float]] = {
    "\n": {"<code>\n```python\n": 0.4, "\\boxed{": 0.4, "show": 0.2},
    "<code>\n```python\n": {"show": 1.0},  # the tiny tokenizer's whole-token code opener and closer
    "show": {"(": 1.0}, "(": {"image": 1.0}, "image": {"_clue": 1.0}, "_clue": {"_": 1.0}, "_": {"0": 1.0},
    "0": {")": 1.0}, ")": {"\n```\n</code>": 1.0},
    "\\boxed{": {c: 0.25 for c in "ABCD"}, **{c: {"}": 1.0} for c in "ABCD"}, "}": {"</answer>": 1.0},
}


def _token_id(tok, text: str) -> int:
    ids = chat.encode(tok, text)
    if len(ids) != 1:
        raise ValueError(f"{text!r} is not a single token of this tokenizer: {ids}")
    return ids[0]


def _decoder_layers(model):
    lm = model.model.language_model if hasattr(model.model, "language_model") else model.model
    return lm.layers


def protocol_policy(preset: str = "tiny", seed: int = 0, steps: int = 150) -> PolicyBundle:
    """Load ``preset`` and fit it to :data:`TRANSITIONS` (attention zeroed); returns the bundle in eval mode."""
    torch.manual_seed(seed)
    bundle = load_preset(preset, seed=seed)
    model, tok = bundle.model, bundle.tokenizer
    projections = [layer.self_attn.o_proj.weight for layer in _decoder_layers(model)]
    with torch.no_grad():
        for w in projections:
            w.zero_()
    inputs, targets = [], []
    for cur, nxt in TRANSITIONS.items():
        inputs.append(_token_id(tok, cur))
        target = torch.zeros(len(tok))
        for t, p in nxt.items():
            target[_token_id(tok, t)] = p
        targets.append(target)
    x = torch.tensor(inputs).view(-1, 1)
    y = torch.stack(targets)
    trainable = [p for p in model.parameters() if all(p is not w for w in projections)]
    opt = torch.optim.Adam(trainable, lr=1e-2)
    for _ in range(steps):
        logits = model(input_ids=x).logits[:, -1, : len(tok)]
        loss = -(y * torch.log_softmax(logits.float(), dim=-1)).sum(-1).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    return bundle

