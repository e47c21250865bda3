"""The Gymnasium ids of the suite, generated from :mod:`pyvision_envs.catalog` (one row per task family).

Ids (``pyvision-rl list`` prints them):

* ``PyVision/<Stem>-v0``: a procedural family at medium difficulty; ``PyVision/<Stem>-Easy-v0`` and
  ``PyVision/<Stem>-Hard-v0`` are the same environment class with ``difficulty="easy"`` / ``"hard"``
  (variants are keyword arguments of one class, never copied code). Image families are played by
  ``ImageTaskEnv``, video families (``PyVision/Video<Family>-v0``) by ``VideoTaskEnv``. Any keyword of
  ``gym.make`` overrides a preset (``gym.make("PyVision/Counting-v0", max_turns=30)``).
* ``PyVision/ImageQA-v0`` and ``PyVision/VideoQA-v0``: local datasets,
  ``gym.make("PyVision/ImageQA-v0", data_path=...)``.

Entry points are ``"module:Class"`` strings, so nothing heavy is imported until ``gym.make``.

To add a family: add its row to :data:`pyvision_envs.catalog.FAMILIES`; its three ids follow.

Vector envs: ``gym.make_vec(id, num_envs=n)`` (sync) and ``vectorization_mode="async"`` work as is. Async
observations (text and images of any size) cannot use a fixed-size shared buffer: by default they go through
a store held by a helper process (:class:`pyvision_envs.spaces.SharedObservations`);
``vector_kwargs={"shared_memory": False}`` sends them through the workers' pipes and needs no helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from pyvision_envs import catalog

NAMESPACE = "PyVision"


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


DIFFICULTY_SUFFIXES: tuple[tuple[str, str], ...] = (("", "medium"), ("-Easy", "easy"), ("-Hard", "hard"))
"""(id suffix, difficulty): the default id is medium."""


def family_presets(family: catalog.Family) -> list[EnvPreset]:
    """The ids of one catalog family, at every difficulty."""
    return [EnvPreset(name=f"{family.stem}{suffix}", entry_point=catalog.FAMILY_ENVS[family.modality],
                      kwargs={"family": family.name, "difficulty": difficulty},
                      description=f"{family.description} ({difficulty})")
            for suffix, difficulty in DIFFICULTY_SUFFIXES]


def all_presets() -> list[EnvPreset]:
    """Every preset this package registers, in listing order: per modality, its families, then its dataset."""
    rows = []
    for modality in catalog.MODALITIES:
        for family in catalog.FAMILIES:
            if family.modality == modality:
                rows.extend(family_presets(family))
        rows.extend(EnvPreset(name=d.stem, entry_point=d.entry_point, needs=("data_path",), description=d.description)
                    for d in catalog.DATASETS if d.modality == modality)
    return rows


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
