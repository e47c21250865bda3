"""Honest Gymnasium spaces for text-action, text-and-image-observation environments.

``gymnasium.spaces.Text`` does not fit a model turn: it only holds characters from a finite charset, while a
model may write any Unicode. So, in the way Minigrid's ``MissionSpace`` does for missions, these spaces give
strings and :class:`~pyvision_envs.types.Observation` records a real ``contains`` and a real ``sample``.

Example:
    >>> space = TurnSpace(seed=0)
    >>> turn = space.sample()
    >>> isinstance(turn, str) and turn in space
    True
    >>> obs = ObservationSpace(max_images=4, seed=0).sample()
    >>> obs in ObservationSpace(max_images=4)
    True
"""

from __future__ import annotations

import multiprocessing
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory
from PIL import Image

from pyvision_envs.types import Observation

_ALPHABET = string.ascii_letters + string.digits + string.punctuation + " \n" + "éß中→√"


def _random_text(rng: np.random.Generator, max_chars: int) -> str:
    n = int(rng.integers(0, max_chars + 1))
    return "".join(_ALPHABET[i] for i in rng.integers(0, len(_ALPHABET), n))


def _no_mask(space: spaces.Space, mask: Any, probability: Any) -> None:
    if mask is not None or probability is not None:
        raise NotImplementedError(f"{type(space).__name__}.sample() does not support mask or probability")


class TurnSpace(spaces.Space[str]):
    """The text of one model turn: any ``str`` of at most ``max_length`` characters.

    ``sample()`` draws a random turn of one of three kinds with equal odds, so that a random agent exercises
    every path of the protocol: free text (usually malformed), a code block printing a number, or a boxed
    answer.

    Args:
        max_length: Longest turn, in characters.
        seed: Seed for ``sample``.
    """

    def __init__(self, max_length: int = 65536, seed: int | np.random.Generator | None = None) -> None:
        if max_length < 1:
            raise ValueError(f"TurnSpace.max_length must be at least 1, got {max_length}")
        self.max_length = int(max_length)
        super().__init__(dtype=str, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        """Text has no fixed-size numeric form."""
        return False

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> str:
        """A random turn (free text, code or answer), at most ``max_length`` characters."""
        _no_mask(self, mask, probability)
        rng = self.np_random
        kind = int(rng.integers(0, 3))
        if kind == 0:
            text = _random_text(rng, 64)
        elif kind == 1:
            text = f"<code>\n```python\nprint({int(rng.integers(0, 1000))})\n```\n</code>"
        else:
            text = "<answer>\n\\boxed{" + _random_text(rng, 8).replace("{", "").replace("}", "") + "x}\n</answer>"
        return text[: self.max_length]

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a ``str`` of at most ``max_length`` characters."""
        return isinstance(x, str) and len(x) <= self.max_length

    def to_jsonable(self, sample_n: Any) -> list[str]:
        """Turns are already JSON strings."""
        return list(sample_n)

    def from_jsonable(self, sample_n: list[Any]) -> list[str]:
        """Turns are already JSON strings."""
        return list(sample_n)

    def __repr__(self) -> str:
        return f"TurnSpace(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TurnSpace) and other.max_length == self.max_length


class ObservationSpace(spaces.Space[Observation]):
    """A user message: an :class:`~pyvision_envs.types.Observation` with text and RGB PIL images.

    Args:
        max_text_length: Longest text, in characters.
        max_images: Most images one observation may carry.
        max_image_side: Longest image side, in pixels.
        sample_max_side: Longest side of the images ``sample()`` draws (kept small so sampling is cheap).
        seed: Seed for ``sample``.
    """

    def __init__(
        self,
        max_text_length: int = 1 << 20,
        max_images: int = 32,
        max_image_side: int = 16384,
        sample_max_side: int = 16,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if max_text_length < 1 or max_images < 0 or max_image_side < 1 or sample_max_side < 1:
            raise ValueError(
                "ObservationSpace needs max_text_length >= 1, max_images >= 0, max_image_side >= 1 and "
                f"sample_max_side >= 1; got {max_text_length}, {max_images}, {max_image_side}, {sample_max_side}"
            )
        self.max_text_length = int(max_text_length)
        self.max_images = int(max_images)
        self.max_image_side = int(max_image_side)
        self.sample_max_side = int(min(sample_max_side, max_image_side))
        super().__init__(dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        """Observations have no fixed-size numeric form."""
        return False

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> Observation:
        """A random observation: random text and up to two small random-noise RGB images."""
        _no_mask(self, mask, probability)
        rng = self.np_random
        text = _random_text(rng, min(64, self.max_text_length))
        images = []
        for _ in range(int(rng.integers(0, min(2, self.max_images) + 1))):
            h, w = (int(v) for v in rng.integers(1, self.sample_max_side + 1, 2))
            images.append(Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB"))
        return Observation(text=text, images=tuple(images))

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is an Observation whose text and images are within this space's limits."""
        if not isinstance(x, Observation) or not isinstance(x.text, str) or not isinstance(x.images, tuple):
            return False
        if len(x.text) > self.max_text_length or len(x.images) > self.max_images:
            return False
        return all(
            isinstance(im, Image.Image) and im.mode == "RGB"
            and 1 <= im.width <= self.max_image_side and 1 <= im.height <= self.max_image_side
            for im in x.images
        )

    def __repr__(self) -> str:
        return (
            f"ObservationSpace(max_text_length={self.max_text_length}, max_images={self.max_images}, "
            f"max_image_side={self.max_image_side})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObservationSpace) and (
            other.max_text_length, other.max_images, other.max_image_side
        ) == (self.max_text_length, self.max_images, self.max_image_side)



class SharedObservations(Sequence[Observation]):
    """The latest observation of each sub-environment of an async vector env, in a store its workers write.

    Gymnasium's shared memory is a fixed-size buffer, which observations of text and any number of images of
    any size cannot use. Here the buffer is a list held by a multiprocessing manager (a helper process that
    lives as long as the vector env's observations), so ``gym.make_vec(id, vectorization_mode="async")`` works
    with Gymnasium's default ``shared_memory=True``. ``shared_memory=False`` sends the observations through
    the workers' pipes instead and needs no helper process.
    """

    def __init__(self, store: Any, n: int) -> None:
        self.store, self.n = store, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        return self.store[i]

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[Observation, ...]:
        return tuple(self.store._getvalue())  # one round trip for the whole batch (what the vector env returns)


@create_shared_memory.register(ObservationSpace)
def _create_store(space: ObservationSpace, n: int = 1, ctx: Any = multiprocessing) -> Any:
    return ctx.Manager().list([None] * n)  # the proxy keeps its manager alive, in the parent only


@read_from_shared_memory.register(ObservationSpace)
def _read_store(space: ObservationSpace, shared_memory: Any, n: int = 1) -> SharedObservations:
    return SharedObservations(shared_memory, n)


@write_to_shared_memory.register(ObservationSpace)
def _write_store(space: ObservationSpace, index: int, value: Observation, shared_memory: Any) -> None:
    shared_memory[index] = value
