"""Where an environment's tasks come from: a procedural family (by seed) or a dataset (by row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pyvision_envs.types import Task

SEED_SPACE = 2**31 - 1


class FamilyTasks:
    """Mixin for an env whose tasks a :class:`~pyvision_envs.tasks.base.TaskFamily` generates by seed.

    ``reset(options={"index": n})`` plays the family's task ``n`` (its seed); otherwise the seed is drawn
    from the env's ``np_random``, so ``reset(seed=s)`` replays.
    """

    modality: ClassVar[str]
    np_random: Any

    def _use_family(self, family: str, difficulty: str) -> None:
        from pyvision_envs.tasks import get_family  # lazy: generators import drawing code

        self.family = get_family(family, difficulty)
        if self.family.modality != self.modality:
            raise ValueError(f"task family {family!r} is a {self.family.modality} family, but this is an "
                             f"{self.modality} environment; use the PyVision id made for it (`pyvision-rl list`)")

    def _sample_task(self, options: Mapping[str, Any]) -> Task:
        seed = int(options["index"]) if "index" in options else int(self.np_random.integers(SEED_SPACE))
        return self.family.generate(seed)


class DatasetTasks:
    """Mixin for an env that plays the rows of a loaded dataset (a ``Sequence`` of :class:`Task`).

    ``reset(options={"index": i})`` plays row ``i``; otherwise a row is drawn from the env's ``np_random``.
    """

    np_random: Any

    def _use_dataset(self, data_path: str, dataset: Any) -> None:
        self.data_path, self.dataset = str(data_path), dataset
        if len(dataset) == 0:
            raise ValueError(f"{self.data_path}: the dataset has no usable rows; check the path and format")

    def _sample_task(self, options: Mapping[str, Any]) -> Task:
        n = len(self.dataset)
        if "index" in options:
            i = int(options["index"])
            if not 0 <= i < n:
                raise IndexError(f"reset option index={i} is out of range: {self.data_path} has {n} rows")
            return self.dataset[i]
        return self.dataset[int(self.np_random.integers(n))]
