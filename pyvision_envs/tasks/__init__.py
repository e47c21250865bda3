"""Synthetic task families and dataset loaders.

Importing this package registers every family, so ``get_family(name, difficulty)`` works afterwards.
"""

from pyvision_envs.tasks import chart, counting, maze, measurement, spatial, visual_search  # noqa: F401  (registers the families)
from pyvision_envs.tasks.base import DIFFICULTIES, TaskFamily, family_names, get_family, register_family

__all__ = ["DIFFICULTIES", "TaskFamily", "family_names", "get_family", "register_family"]
