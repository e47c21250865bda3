"""The task-family interface: procedural, deterministic-by-seed generators of :class:`~pyvision_envs.types.Task`."""

from __future__ import annotations

import abc
from typing import ClassVar

from pyvision_envs.names import unknown_name
from pyvision_envs.types import Task

DIFFICULTIES = ("easy", "medium", "hard")


class TaskFamily(abc.ABC):
    """A procedural family of tasks.

    ``generate(seed, difficulty)`` must be a pure function of its arguments: the same seed and difficulty
    give the same task (same image bytes, question and answer) in any process.
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


_FAMILIES: dict[str, type[TaskFamily]] = {}


def register_family(cls: type[TaskFamily]) -> type[TaskFamily]:
    """Class decorator adding a family to the registry under ``cls.name``."""
    if cls.name in _FAMILIES and _FAMILIES[cls.name] is not cls:
        raise ValueError(f"task family {cls.name!r} is already registered by {_FAMILIES[cls.name]!r}")
    _FAMILIES[cls.name] = cls
    return cls


def get_family(name: str, difficulty: str = "medium") -> TaskFamily:
    """Instantiate a registered family by name, with a "did you mean" hint for typos."""
    if name not in _FAMILIES and name.startswith("video_"):
        import pyvision_envs.tasks.video  # noqa: F401 - registers the video families (imports the media stack)
    if name not in _FAMILIES:
        raise KeyError(unknown_name("task family", name, _FAMILIES))
    return _FAMILIES[name](difficulty=difficulty)


def family_names() -> list[str]:
    """Names of all registered families."""
    return sorted(_FAMILIES)
