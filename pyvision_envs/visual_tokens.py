"""Estimate how many tokens an image costs a vision-language model, and how full a context is.

The default rule is Qwen2.5-VL's: the image is resized (``smart_resize``) so that both sides are multiples of
28 pixels and the area lies within ``[min_pixels, max_pixels]``, then every 28x28 block is one token (14-pixel
patches merged 2x2). Other models plug in their own rule: any callable ``(width, height) -> int``.

Example:
    >>> visual_tokens(224, 224)
    64
    >>> QWEN25_VL.resized(1000, 500)
    (1008, 504)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PIL import Image

VisualTokenRule = Callable[[int, int], int]
"""A rule mapping an image's ``(width, height)`` in pixels to its token count."""

TextTokenCounter = Callable[[str], int]
"""A rule mapping a text to its token count."""


@dataclass(frozen=True)
class PatchRule:
    """A patch-grid rule in the style of Qwen2-VL / Qwen2.5-VL.

    Attributes:
        factor: Side of the pixel block that becomes one token (patch size times the merge size).
        min_pixels: Smallest area the image is resized up to.
        max_pixels: Largest area the image is resized down to.
        max_aspect: Largest aspect ratio accepted (Qwen's processor refuses more extreme images).
    """

    factor: int = 28
    min_pixels: int = 56 * 56
    max_pixels: int = 28 * 28 * 16384
    max_aspect: float = 200.0

    def __post_init__(self) -> None:
        if self.factor <= 0:
            raise ValueError(f"PatchRule.factor must be positive, got {self.factor}")
        if not 0 < self.min_pixels <= self.max_pixels:
            raise ValueError(
                f"PatchRule needs 0 < min_pixels <= max_pixels, got {self.min_pixels} and {self.max_pixels}"
            )

    def resized(self, width: int, height: int) -> tuple[int, int]:
        """Return ``(width, height)`` after the model's resize (Qwen2.5-VL ``smart_resize``).

        Raises:
            ValueError: The size is not positive or the aspect ratio exceeds ``max_aspect``.
        """
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        if max(width, height) / min(width, height) > self.max_aspect:
            raise ValueError(
                f"image {width}x{height} has an aspect ratio above {self.max_aspect}; crop or pad it first"
            )
        f = self.factor
        # Same arithmetic as transformers' Qwen2-VL image processor (the one our trainers load).
        h_bar = round(height / f) * f
        w_bar = round(width / f) * f
        if h_bar * w_bar > self.max_pixels:
            beta = math.sqrt(height * width / self.max_pixels)
            h_bar = max(f, math.floor(height / beta / f) * f)
            w_bar = max(f, math.floor(width / beta / f) * f)
        elif h_bar * w_bar < self.min_pixels:
            beta = math.sqrt(self.min_pixels / (height * width))
            h_bar = math.ceil(height * beta / f) * f
            w_bar = math.ceil(width * beta / f) * f
        return w_bar, h_bar

    def __call__(self, width: int, height: int) -> int:
        """Tokens for an image of ``width`` x ``height`` pixels."""
        w_bar, h_bar = self.resized(width, height)
        return (w_bar // self.factor) * (h_bar // self.factor)


QWEN25_VL = PatchRule()
"""Qwen2.5-VL's default processor settings (min 56x56, max 16384 tokens of 28x28 pixels)."""


def visual_tokens(width: int, height: int, rule: VisualTokenRule = QWEN25_VL) -> int:
    """Tokens one image of ``width`` x ``height`` costs under ``rule``."""
    return int(rule(width, height))


def images_tokens(images: Iterable[Image.Image], rule: VisualTokenRule = QWEN25_VL) -> int:
    """Total tokens of a sequence of PIL images under ``rule``."""
    return sum(visual_tokens(im.width, im.height, rule) for im in images)


def chars_per_token(text: str, chars: float = 4.0) -> int:
    """The default text estimate: one token per ``chars`` characters, rounded up.

    >>> chars_per_token("abcdefgh")
    2
    >>> chars_per_token("")
    0
    """
    return math.ceil(len(text) / chars)
