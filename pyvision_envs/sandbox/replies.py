"""Checks on what a worker sends back, which the host applies itself.

The worker may run arbitrary Python, so its replies are hostile input: every field is type-checked, text is
scrubbed and capped again here, and images are bounded in number, pixels and bytes. Anything malformed is a
``WireError``, which the host turns into a ``SandboxCrash`` result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from pyvision_envs.sandbox import wire
from pyvision_envs.sandbox.text import ERROR_CHARS, elide, scrub

_NOTE_SLACK = 1024  # room for the worker's notes (elided counts, dropped figures) past the output cap


@dataclass(frozen=True)
class Limits:
    """What one reply may carry."""

    max_output_chars: int
    max_images: int
    max_pixels: int
    image_bytes_left: int

    @property
    def max_header(self) -> int:
        """Largest header a reply within these limits can need."""
        # JSON escapes a character in at most 12 bytes (a surrogate pair); plus room for the other fields.
        return 12 * (self.max_output_chars + ERROR_CHARS + 2 * _NOTE_SLACK) + 64 * 1024


@dataclass(frozen=True)
class Reply:
    """A validated ``result`` message."""

    stdout: str
    error: str | None
    images: tuple[Image.Image, ...]
    packed: tuple[tuple[dict[str, Any], bytearray], ...]  # the same images as (record, pixels), for re-sending


def _text(header: dict[str, Any], key: str, cap: int, optional: bool = False) -> str | None:
    value = header.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise wire.WireError(f"reply field {key!r} is {type(value).__name__}, expected a string")
    value = scrub(value)
    return value if len(value) <= cap + _NOTE_SLACK else elide(value, cap)


def parse_result(header: dict[str, Any], blobs: list[bytearray], limits: Limits) -> Reply:
    """The reply's text and images, with every cap re-applied by the host."""
    stdout = _text(header, "stdout", limits.max_output_chars)
    error = _text(header, "error", ERROR_CHARS, optional=True)
    metas = header.get("images", [])
    if not isinstance(metas, list) or len(metas) > limits.max_images:
        raise wire.WireError(f"reply carries too many images (at most {limits.max_images})")
    images = wire.unpack_images(metas, blobs, limits.max_pixels)
    if sum(map(len, blobs)) > limits.image_bytes_left:
        raise wire.WireError("reply's images exceed the episode's image budget")
    packed = tuple(({"mode": m["mode"], "size": list(m["size"])}, b) for m, b in zip(metas, blobs))
    return Reply(stdout=stdout, error=error, images=tuple(images), packed=packed)


def frame_indices(raw: Any, num_frames: int, max_frames: int) -> list[int]:
    """Frame indices a worker asked for, checked before the host's decoder sees them."""
    if not isinstance(raw, list) or len(raw) > max_frames:
        raise ValueError(f"ask for a list of at most {max_frames} frame indices")
    if not all(type(i) is int and 0 <= i < num_frames for i in raw):
        raise ValueError(f"frame indices must be integers in [0, {num_frames})")
    return raw
