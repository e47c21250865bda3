"""The task-family interface: procedural, deterministic-by-seed generators of :class:`~pyvision_envs.types.Task`."""

from __future__ import annotations

import abc
from typing import ClassVar

from pyvision_envs import catalog
from pyvision_envs.names import unknown_name
from pyvision_envs.types import Task

DIFFICULTIES = ("easy", "medium", "hard")


class TaskFamily(abc.ABC):
    """A procedural family of tasks, declared by a row of :mod:`pyvision_envs.catalog`.

    ``generate(seed)`` must be a pure function of the seed and the family's difficulty: the same seed and
    difficulty give the same task (same image bytes, question and answer) in any process.
    """

    name: ClassVar[str]
    modality: ClassVar[str] = "image"  # "image" or "video"

    def __init__(self, difficulty: str = "medium") -> None:
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty={difficulty!r} is not one of {DIFFICULTIES}; pick one of those")
        self.difficulty = difficulty

    @abc.abstractmethod
    def generate(self, seed: int) -> Task:
        """Return the task for ``seed`` at this family's difficulty."""

    @property
    @abc.abstractmethod
    def chance_accuracy(self) -> float:
        """Expected accuracy of an agent that guesses without looking (for guesser checks)."""


_PLUGINS: dict[str, type[TaskFamily]] = {}
"""Families added at run time with :func:`register_family` (the built-in ones are rows of the catalog)."""


def register_family(cls: type[TaskFamily]) -> type[TaskFamily]:
    """Class decorator adding a family outside :mod:`pyvision_envs.catalog` (a plug-in) under ``cls.name``."""
    taken = cls.name in {f.name for f in catalog.FAMILIES} or _PLUGINS.get(cls.name, cls) is not cls
    if taken:
        raise ValueError(f"task family {cls.name!r} is already registered; pick another name")
    _PLUGINS[cls.name] = cls
    return cls


def family_class(name: str) -> type[TaskFamily]:
    """The generator class of family ``name``, imported from its catalog entry point on first use.

    Raises:
        KeyError: Unknown family, with a "did you mean" hint.
    """
    if name in _PLUGINS:
        return _PLUGINS[name]
    if name not in {f.name for f in catalog.FAMILIES}:
        raise KeyError(unknown_name("task family", name, family_names()))
    return catalog.load(catalog.family(name).generator)


def get_family(name: str, difficulty: str = "medium") -> TaskFamily:
    """Instantiate a family by name (lazily imported, as Gymnasium entry points are), at ``difficulty``."""
    return family_class(name)(difficulty=difficulty)


def family_names() -> list[str]:
    """Names of all families: the catalog's and any registered at run time."""
    return sorted({f.name for f in catalog.FAMILIES} | set(_PLUGINS))
