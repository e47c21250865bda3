"""Synthetic task families and dataset loaders.

Importing this package registers every image family (``chart``, ``counting``, ``maze``, ``measurement``,
``spatial``, ``visual_search``), so ``get_family(name, difficulty)`` works afterwards. Real data is read
with :func:`load_dataset` (PyVision-RL records, V*-Bench folders, HRBench TSV).
"""

from pyvision_envs.tasks import chart, counting, maze, measurement, spatial, visual_search  # noqa: F401  (registers the families)
from pyvision_envs.tasks.base import DIFFICULTIES, TaskFamily, family_names, get_family, register_family
from pyvision_envs.tasks.loaders import DatasetError, DatasetWarning, TaskDataset, load_dataset

__all__ = [
    "DIFFICULTIES",
    "DatasetError",
    "DatasetWarning",
    "TaskDataset",
    "TaskFamily",
    "family_names",
    "get_family",
    "load_dataset",
    "register_family",
]
