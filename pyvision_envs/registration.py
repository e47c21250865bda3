"""The Gymnasium ids of the suite, generated from small tables of presets.

Ids (``pyvision-rl list`` prints them):

* ``PyVision/<Family>-v0``: a procedural image family at medium difficulty; ``PyVision/<Family>-Easy-v0``
  and ``PyVision/<Family>-Hard-v0`` are the same environment class with ``difficulty="easy"`` / ``"hard"``
  (variants are keyword arguments of one class, never copied code). Any keyword of ``gym.make`` overrides a
  preset (``gym.make("PyVision/Counting-v0", max_turns=30)``).
* ``PyVision/ImageQA-v0``: a local image dataset, ``gym.make("PyVision/ImageQA-v0", data_path=...)``.
* Video ids (``PyVision/Video<Family>-v0``) come from ``VIDEO_PRESETS`` in ``pyvision_envs/envs/video.py``,
  registered by the same function. That module must stay cheap to import (no decoding libraries at module
  level), because ``import pyvision_envs`` reads the table.

Entry points are ``"module:Class"`` strings, so nothing heavy is imported until ``gym.make``.

To add a family: add a row to ``IMAGE_FAMILIES`` (id name, task-family name). ``tests/test_registration.py``
fails while a registered image family has no row.

Vector envs: ``gym.make_vec(id, num_envs=n)`` works as is (sync). Async needs
``vectorization_mode="async", vector_kwargs={"shared_memory": False}``, because observations are text and
images of varying size, which Gymnasium cannot place in shared memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

NAMESPACE = "PyVision"
IMAGE_ENTRY_POINT = "pyvision_envs.envs.image:ImageTaskEnv"
IMAGE_QA_ENTRY_POINT = "pyvision_envs.envs.image:ImageQAEnv"


@dataclass(frozen=True)
class EnvPreset:
    """One registered id: its name, the class that builds it, and the preset keyword arguments.

    Attributes:
        name: The id without namespace and version (``"Counting-Hard"``).
        entry_point: ``"module:Class"``, imported by ``gym.make`` only.
        kwargs: Keyword arguments of the class (``gym.make`` keywords override them).
        version: The id's version (``-v0``); bump it when a change alters the tasks or the reward.
        needs: Keywords the user must pass (``("data_path",)``), listed by ``pyvision-rl list``.
        description: One line for ``pyvision-rl list``.
    """

    name: str
    entry_point: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    needs: tuple[str, ...] = ()
    description: str = ""

    @property
    def id(self) -> str:
        """The full Gymnasium id, ``PyVision/<name>-v<version>``."""
        return f"{NAMESPACE}/{self.name}-v{self.version}"


IMAGE_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("VisualSearch", "visual_search", "find a small target in a large cluttered canvas (crop and zoom)"),
    ("Counting", "counting", "count objects of one colour and shape among distractors"),
    ("Chart", "chart", "read a value, a difference or an extremum from a bar or line chart"),
    ("Measurement", "measurement", "compare lengths, angles or distances"),
    ("Spatial", "spatial", "the relation between two small, far-apart objects"),
    ("Maze", "maze", "which marked cell is reachable from the start"),
)
"""(id name, task-family name, description) of every procedural image family."""

DIFFICULTY_SUFFIXES: tuple[tuple[str, str], ...] = (("", "medium"), ("-Easy", "easy"), ("-Hard", "hard"))
"""(id suffix, difficulty): the default id is medium."""


def image_presets() -> list[EnvPreset]:
    """Presets of the image families (every difficulty) and of ``ImageQA``."""
    rows = [
        EnvPreset(name=f"{name}{suffix}", entry_point=IMAGE_ENTRY_POINT,
                  kwargs={"family": family, "difficulty": difficulty}, description=f"{desc} ({difficulty})")
        for name, family, desc in IMAGE_FAMILIES
        for suffix, difficulty in DIFFICULTY_SUFFIXES
    ]
    rows.append(EnvPreset(name="ImageQA", entry_point=IMAGE_QA_ENTRY_POINT, needs=("data_path",),
                          description="questions from a local image dataset (PyVision-RL JSON/JSONL, V*, HRBench TSV)"))
    return rows


def video_presets() -> list[EnvPreset]:
    """Presets of the video environments (owned by ``pyvision_envs/envs/video.py``), empty until it exists."""
    try:
        from pyvision_envs.envs.video import VIDEO_PRESETS
    except ImportError as exc:
        if exc.name not in ("pyvision_envs.envs.video",):
            raise  # the module exists but is broken: say so rather than hide its ids
        return []
    return list(VIDEO_PRESETS)


def all_presets() -> list[EnvPreset]:
    """Every preset this package registers, in listing order."""
    return image_presets() + video_presets()


def register_envs() -> list[str]:
    """Register every preset with Gymnasium (skipping ids already registered); return all ids.

    ``import pyvision_envs`` calls this once, so ``gym.make("PyVision/...")`` works after that import.
    """
    ids = []
    for preset in all_presets():
        if preset.id not in gym.registry:
            gym.register(id=preset.id, entry_point=preset.entry_point, kwargs=dict(preset.kwargs))
        ids.append(preset.id)
    return ids


def env_ids() -> list[str]:
    """The ids of every preset, in listing order."""
    return [p.id for p in all_presets()]
