r"""Token-exact chat rendering for multi-turn rollouts: earlier turns are never re-tokenized.

A conversation's tokens are built incrementally::

    ids = prompt_ids(tok, [user_message(obs.text, obs.images, vision)], processor)   # ends with the gen prompt
    ids += sampled_1                                                                 # the policy's tokens
    ids += observation_ids(tok, obs2.text, images=obs2.images, processor=processor, sampled=sampled_1)
    ids += sampled_2 ...

``observation_ids`` is derived from the chat template itself, so it works for any template that renders a new user
message as a pure suffix (Qwen-style ChatML, SmolLM2's template, ...): it renders ``[user, assistant(PROBE)]`` and
``[user, assistant(PROBE), user(text)]`` with the generation prompt, takes the second's suffix after the first,
and prepends the template's *assistant tail* (what follows the assistant content, e.g. ``<|im_end|>\n``). The
tail's first token is the *end-of-turn* token: when the sampled tokens already end with it (generation stopped on
``<|im_end|>``), it is dropped; when generation stopped on a stop string such as ``</code>``, it is kept, so the
assistant turn is closed exactly as the template would close it. Hence, for every conversation,
``decode(prompt + sampled_1 + obs_1 + sampled_2 + ...)`` equals the template's rendering of the conversation
whose assistant contents are ``decode(sampled_i)`` (minus a trailing end-of-turn token).

Images: for vision-language models (``processor`` given), ``<image>`` markers in a message's text become image parts,
rendered by the template as ``<|vision_start|><|image_pad|><|vision_end|>``; each ``<|image_pad|>`` is then expanded
to the number of merged patches the image processor makes of that image. Text-only models see the text alone (the
images live in the Python sandbox only).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

IMAGE_MARKER = "<image>"
IMAGE_PAD = "<|image_pad|>"
_PROBE = "\u27e6pyvision assistant probe\u27e7"

Message = Mapping[str, Any]
_EOT_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> (template, end-of-turn id)


def encode(tokenizer: Any, text: str) -> list[int]:
    """Tokenize text that already holds every special token it needs (no BOS/EOS added)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def render(tokenizer: Any, messages: Sequence[Message], add_generation_prompt: bool) -> str:
    """Render messages with the tokenizer's chat template to text."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(f"tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no chat_template; "
                         "load a chat/instruct model or set tokenizer.chat_template")
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=add_generation_prompt)


def user_message(text: str, images: Sequence[Image.Image] = (), vision: bool = False) -> dict[str, Any]:
    """Build a user message; for VL models ``<image>`` markers in ``text`` become image parts, in order.

    Args:
        text: The message text (an observation's text).
        images: The images it carries, one per ``<image>`` marker. Text with no markers gets its images first.
        vision: Whether the policy sees images in context; if False the content is ``text`` unchanged.

    Raises:
        ValueError: There are markers, but not one per image.
    """
    if not vision or not images:
        return {"role": "user", "content": text}
    pieces = text.split(IMAGE_MARKER)
    if len(pieces) == 1:
        pieces = [""] * len(images) + [text]
    elif len(pieces) - 1 != len(images):
        raise ValueError(f"message has {len(pieces) - 1} {IMAGE_MARKER!r} markers but {len(images)} images; "
                         "give exactly one image per marker (or no markers at all)")
    parts: list[dict[str, Any]] = []
    for i, piece in enumerate(pieces):
        if piece:
            parts.append({"type": "text", "text": piece})
        if i < len(images):
            parts.append({"type": "image", "image": images[i]})
    return {"role": "user", "content": parts}


def message_images(messages: Sequence[Message]) -> list[Image.Image]:
    """All images in the messages' image parts, in order."""
    out = []
    for m in messages:
        if not isinstance(m["content"], str):
            out.extend(p["image"] for p in m["content"] if p.get("type") == "image")
    return out


def image_token_counts(processor: Any, images: Sequence[Image.Image]) -> list[int]:
    """How many ``<|image_pad|>`` tokens each image becomes (merged patches; Qwen2-VL style processors)."""
    merge = int(getattr(processor, "merge_size", 2))
    return [processor.get_number_of_image_patches(im.height, im.width) // merge**2 for im in images]


def expand_image_pads(tokenizer: Any, ids: Sequence[int], counts: Sequence[int]) -> list[int]:
    """Repeat the i-th ``<|image_pad|>`` token ``counts[i]`` times.

    Raises:
        ValueError: The number of pad tokens differs from the number of images.
    """
    pad = tokenizer.convert_tokens_to_ids(IMAGE_PAD)
    found = sum(1 for t in ids if t == pad)
    if found != len(counts):
        raise ValueError(f"rendered text has {found} {IMAGE_PAD} tokens but {len(counts)} images were given")
    out: list[int] = []
    k = 0
    for t in ids:
        if t == pad:
            out.extend([pad] * counts[k])
            k += 1
        else:
            out.append(t)
    return out


def _encode_with_images(tokenizer: Any, text: str, images: Sequence[Image.Image], processor: Any | None) -> list[int]:
    ids = encode(tokenizer, text)
    if processor is None:
        return ids
    return expand_image_pads(tokenizer, ids, image_token_counts(processor, images))


def prompt_ids(tokenizer: Any, messages: Sequence[Message], processor: Any | None = None) -> list[int]:
    """Tokens of the first messages (system and/or user) followed by the assistant generation prompt.

    Args:
        tokenizer: A tokenizer with a chat template.
        messages: Chat messages; user content may be a list of ``{"type": "image", "image": PIL}`` and
            ``{"type": "text", "text": str}`` parts (see :func:`user_message`).
        processor: The VL model's image processor; image pads are expanded when given.
    """
    text = render(tokenizer, messages, add_generation_prompt=True)
    return _encode_with_images(tokenizer, text, message_images(messages), processor)


def assistant_tail(tokenizer: Any) -> str:
    r"""The text the template puts after an assistant message's content (``<|im_end|>\n`` for ChatML)."""
    base = render(tokenizer, [{"role": "user", "content": "u"}, {"role": "assistant", "content": _PROBE}], False)
    if base.count(_PROBE) != 1:
        raise ValueError("chat template does not render assistant content verbatim; token-exact rollouts need it")
    return base[base.index(_PROBE) + len(_PROBE):]


def end_of_turn_id(tokenizer: Any) -> int | None:
    """The special token that closes an assistant turn (``<|im_end|>``), or None if the tail has none."""
    key = tokenizer.chat_template
    cached = _EOT_CACHE.get(tokenizer)
    if cached is not None and cached[0] == key:
        return cached[1]
    tail = encode(tokenizer, assistant_tail(tokenizer))
    eot = tail[0] if tail and tail[0] in set(tokenizer.all_special_ids) else None
    _EOT_CACHE[tokenizer] = (key, eot)
    return eot


def observation_ids(tokenizer: Any, text: str, *, images: Sequence[Image.Image] = (), processor: Any | None = None,
                    sampled: Sequence[int] = ()) -> list[int]:
    """Tokens that follow a sampled assistant turn: its closing tail, one new user message, the generation prompt.

    Args:
        tokenizer: A tokenizer with a chat template.
        text: The new user message's text (``<image>`` markers place images for VL models).
        images: The message's images (used only when ``processor`` is given).
        processor: The VL model's image processor, or None for text-only models.
        sampled: The assistant turn's sampled tokens; if they end with the end-of-turn token, it is not repeated.

    Raises:
        ValueError: The template does not render a new user message as a pure suffix of the conversation.
    """
    probe = [{"role": "user", "content": "u"}, {"role": "assistant", "content": _PROBE}]
    base = render(tokenizer, probe, add_generation_prompt=False)
    message = user_message(text, images, vision=processor is not None)
    full = render(tokenizer, [*probe, message], add_generation_prompt=True)
    if not full.startswith(base):
        raise ValueError("chat template re-renders earlier turns when a user message is added; "
                         "token-exact rollouts need a template where each new message is a pure suffix")
    tail = base[base.index(_PROBE) + len(_PROBE):]
    ids = _encode_with_images(tokenizer, tail + full[len(base):], message_images([message]), processor)
    eot = end_of_turn_id(tokenizer)
    if sampled and eot is not None and sampled[-1] == eot and ids and ids[0] == eot:
        ids = ids[1:]
    return ids


def assistant_text(tokenizer: Any, sampled: Sequence[int]) -> str:
    """The assistant content a sampled turn stands for: its decoded text without a trailing end-of-turn token."""
    ids = list(sampled)
    eot = end_of_turn_id(tokenizer)
    if ids and eot is not None and ids[-1] == eot:
        ids = ids[:-1]
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
