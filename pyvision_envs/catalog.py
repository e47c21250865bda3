"""Every task family, declared once: its name, id stem, modality, generator, solver and one-line description.

:mod:`pyvision_envs.registration` builds the Gymnasium ids from these rows, :func:`pyvision_envs.tasks.get_family`
imports a row's generator on first use, and the scripted expert (``agents.solvers``) imports its solver the
same way. Entry points are ``"module:attribute"`` strings, as in Gymnasium's ``register``, so this module
imports nothing heavy: ``import pyvision_envs`` reads it.

To add a family: one row here, one generator (a :class:`~pyvision_envs.tasks.base.TaskFamily` subclass) and one
solver (a function of the task's public facts that returns sandbox code). ``tests/test_catalog.py`` checks
every row: both entry points resolve, the ids exist, and the solver solves a generated task.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pyvision_envs.names import unknown_name

MODALITIES = ("image", "video")


@dataclass(frozen=True)
class Family:
    """One procedural task family.

    Attributes:
        name: The family's name (``Task.family``, ``get_family(name)``), e.g. ``"counting"``.
        stem: The id stem: ``PyVision/<stem>-v0`` (medium), ``<stem>-Easy-v0``, ``<stem>-Hard-v0``.
        modality: ``"image"`` or ``"video"``: which environment class plays it.
        generator: ``"module:Class"`` of its :class:`~pyvision_envs.tasks.base.TaskFamily`.
        solver: ``"module:function"`` that turns a task's public facts into the scripted expert's code.
        description: One line for ``pyvision-rl list``.
    """

    name: str
    stem: str
    modality: str
    generator: str
    solver: str
    description: str


@dataclass(frozen=True)
class Dataset:
    """An environment over a local dataset: ``gym.make("PyVision/<stem>-v0", data_path=...)``.

    Attributes:
        stem: The id stem.
        modality: ``"image"`` or ``"video"``.
        entry_point: ``"module:Class"`` of the environment.
        description: One line for ``pyvision-rl list``.
    """

    stem: str
    modality: str
    entry_point: str
    description: str


def _image(name: str, stem: str, generator: str, description: str) -> Family:
    return Family(name, stem, "image", f"pyvision_envs.tasks.{generator}", f"agents.solvers.image:{name}",
                  description)


def _video(name: str, stem: str, generator: str, solver: str, description: str) -> Family:
    return Family(name, stem, "video", f"pyvision_envs.tasks.video.{generator}", f"agents.solvers.video:{solver}",
                  description)


FAMILIES: tuple[Family, ...] = (
    _image("visual_search", "VisualSearch", "visual_search:VisualSearch",
           "find a small target in a large cluttered canvas (crop and zoom)"),
    _image("visual_search_mix", "VisualSearchMix", "visual_search:VisualSearchMix",
           "visual search whose target is usually a circle: shapes can be guessed, quadrants need looking"),
    _image("counting", "Counting", "counting:Counting", "count objects of one colour and shape among distractors"),
    _image("chart", "Chart", "chart:Chart", "read a value, a difference or an extremum from a bar or line chart"),
    _image("measurement", "Measurement", "measurement:Measurement", "compare lengths, angles or distances"),
    _image("spatial", "Spatial", "spatial:Spatial", "the relation between two small, far-apart objects"),
    _image("maze", "Maze", "maze:Maze", "which marked cell is reachable from the start"),
    _video("video_timing", "VideoTiming", "timing:VideoEventTiming", "timing",
           "when a shape first appears, in seconds (binary search over frames)"),
    _video("video_counting", "VideoCounting", "counting:VideoCounting", "counting",
           "how many times a lamp flashes (sparse sampling over time)"),
    _video("video_order", "VideoOrder", "order:VideoOrder", "order", "the order in which shapes first appear"),
    _video("video_motion", "VideoMotion", "motion:VideoMotion", "motion",
           "the direction (or two-leg path) of a moving ball"),
    _video("video_spatial", "VideoSpatial", "spatial:VideoSpatial", "spatial",
           "counts, distances, room size, direction under a panning camera (VSI-like)"),
)
"""Every procedural family, in listing order (image families first)."""

DATASETS: tuple[Dataset, ...] = (
    Dataset("ImageQA", "image", "pyvision_envs.envs.image:ImageQAEnv",
            "questions from a local image dataset (PyVision-RL JSON/JSONL, V*, HRBench TSV)"),
    Dataset("VideoQA", "video", "pyvision_envs.envs.video:VideoQAEnv",
            "questions from a local video dataset (PyVision-RL records, VSI-Bench JSON)"),
)
"""The dataset environments, registered after the families of their modality."""

FAMILY_ENVS = {"image": "pyvision_envs.envs.image:ImageTaskEnv", "video": "pyvision_envs.envs.video:VideoTaskEnv"}
"""The environment class that plays the families of each modality."""

_BY_NAME = {f.name: f for f in FAMILIES}


def family(name: str) -> Family:
    """The row of family ``name``.

    Raises:
        KeyError: No such family, with a "did you mean" hint.

    Examples:
        >>> family("counting").stem
        'Counting'
    """
    if name not in _BY_NAME:
        raise KeyError(unknown_name("task family", name, _BY_NAME))
    return _BY_NAME[name]


def load(entry_point: str) -> Any:
    """Import ``"module:attribute"`` and return the attribute (Gymnasium's ``load_env_creator``, for any object).

    Raises:
        ValueError: Not of the form ``"module:attribute"``.
        ImportError, AttributeError: The module or the attribute does not exist.
    """
    module, sep, attr = entry_point.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"entry point {entry_point!r} must look like 'package.module:attribute'")
    return getattr(importlib.import_module(module), attr)
