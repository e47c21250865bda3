"""Synthetic task families and dataset loaders.

The families are rows of :mod:`pyvision_envs.catalog`; ``get_family(name, difficulty)`` imports a family's
generator on first use, so importing this package draws nothing. Real data is read with :func:`load_dataset`
(PyVision-RL records, V*-Bench folders, HRBench TSV).
"""

from pyvision_envs.tasks.base import (
    DIFFICULTIES,
    TaskFamily,
    family_class,
    family_names,
    get_family,
    register_family,
)
from pyvision_envs.tasks.loaders import DatasetError, DatasetWarning, TaskDataset, load_dataset

__all__ = [
    "DIFFICULTIES",
    "DatasetError",
    "DatasetWarning",
    "TaskDataset",
    "TaskFamily",
    "family_class",
    "family_names",
    "get_family",
    "load_dataset",
    "register_family",
]
