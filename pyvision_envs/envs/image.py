"""Image environments: procedural task families (:class:`ImageTaskEnv`) and local datasets (:class:`ImageQAEnv`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyvision_envs.core import PyVisionEnv
from pyvision_envs.envs.task_sources import DatasetTasks, FamilyTasks
from pyvision_envs.types import Task


class ImageTaskEnv(FamilyTasks, PyVisionEnv):
    r"""Answer a procedurally generated question about an image by writing Python (PyVision-Image).

    **Description.** Each episode draws one task from a family in ``pyvision_envs.tasks`` (visual search,
    counting, chart reading, measurement, spatial relation, maze) at a difficulty. Tasks are deterministic by seed and
    unlimited; each is hard to answer without looking closely and solvable with code (crop, zoom, measure).

    **Action.** The text of one model turn (:class:`~pyvision_envs.spaces.TurnSpace`): code as
    ``<code>\n```python\n...\n```\n</code>`` (the last block runs, in a sandbox whose state persists across
    turns) or the answer as ``<answer>\n\boxed{...}\n</answer>``. Anything else gets a format hint.

    **Observation.** :class:`~pyvision_envs.types.Observation` (text and PIL images). First the prompt, which
    states each image's size and, by default, shows the image (``image_in_context=False``: bound in Python
    only). Then, after code, ``<interpreter>\nText Result:\n...\nImage Result:\n<image_clue_k>...``.
    ``info["messages"]`` holds the whole conversation.

    **Reward.** Paid once, when the episode ends: ``R = acc + tool_coef * n_ok * 1[acc = 1] - format_penalty *
    1[malformed]``, where ``acc`` is the grader's score of the answer, ``n_ok`` the tool calls that ran
    without error (capped by ``tool_cap``), ``tool_coef = 0.1``, ``format_penalty = 0``. The terms are in
    ``info["reward_terms"]``.

    **Termination.** An answer terminates. ``max_turns`` (5), more than ``max_images`` (32) images or more
    than ``max_context_tokens`` (32768) tokens truncate. Tool errors and malformed turns are fed back, or
    terminate with ``on_tool_error="end"`` / ``on_malformed="end"``. ``info["end_reason"]`` says which.

    **Registered ids.** ``PyVision/<Family>-v0`` (medium), ``PyVision/<Family>-Easy-v0``,
    ``PyVision/<Family>-Hard-v0`` for Family in VisualSearch, Counting, Chart, Measurement, Spatial, Maze
    (``pyvision-rl list`` prints them).

    Args:
        family: Task family name (``pyvision_envs.tasks.family_names()``).
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        render_mode: ``None`` or ``"ansi"``.
        **config: Any :class:`~pyvision_envs.core.EnvConfig` field.

    ``reset(options={"index": n})`` plays the family's task number ``n`` (its generator seed);
    ``options={"task": task}`` plays a given task.
    """

    modality = "image"

    def __init__(self, family: str, difficulty: str = "medium", render_mode: str | None = None, **config: Any):
        super().__init__(render_mode=render_mode, **config)
        self._use_family(family, difficulty)


class ImageQAEnv(DatasetTasks, PyVisionEnv):
    r"""Answer questions from a local image dataset by writing Python (PyVision-Image on real data).

    **Description.** Tasks are rows of a dataset on disk, read by ``pyvision_envs.tasks.load_dataset``: the
    PyVision-RL record format (``id, question, answer, ability, data_source, image_path``; JSON or JSONL), a
    V*-Bench-style folder, or HRBench-style TSV. Each row is graded by the grader it names.

    **Action, observation, reward, termination.** As for :class:`ImageTaskEnv`: the action is one model turn
    of text (code or boxed answer); observations are the prompt and then ``<interpreter>`` results with their
    images; ``R = acc + 0.1 * n_ok * 1[acc = 1]`` (configurable), paid at the end with its terms in
    ``info["reward_terms"]``; an answer terminates, ``max_turns`` / image / context limits truncate.

    **Registered ids.** ``PyVision/ImageQA-v0`` (``gym.make("PyVision/ImageQA-v0", data_path=...)``).

    Args:
        data_path: A dataset file or folder.
        data_format: ``"auto"``, ``"pyvision"``, ``"vstar"`` or ``"hrbench"``.
        on_bad_row: ``"raise"`` (an error naming the file, row and field) or ``"skip"`` (counted in a warning).
        allow_outside_root: Accept image paths that resolve outside the dataset's folder (``../``, absolute
            paths, symlinks); off by default, so a dataset cannot make the env open or show arbitrary files.
        max_pixels: Largest image a row may hold (width x height); a larger one is refused at reset, from its
            header, with a message naming the file, the row and the field.
        render_mode: ``None`` or ``"ansi"``.
        **config: Any :class:`~pyvision_envs.core.EnvConfig` field.

    Without ``options``, ``reset`` draws a row uniformly with ``np_random``; ``options={"index": i}`` plays
    row ``i`` (evaluation walks the rows in order this way).
    """

    def __init__(self, data_path: str | None = None, data_format: str = "auto", on_bad_row: str = "raise",
                 render_mode: str | None = None, allow_outside_root: bool = False, max_pixels: int | None = None,
                 **config: Any):
        if data_path is None:
            raise TypeError('PyVision/ImageQA-v0 needs a dataset: gym.make("PyVision/ImageQA-v0", data_path="...")')
        super().__init__(render_mode=render_mode, **config)
        from pyvision_envs.tasks.loaders import MAX_PIXELS, load_dataset  # lazy: loaders decode images

        self._use_dataset(data_path, load_dataset(str(data_path), format=data_format, on_error=on_bad_row,
                                                  allow_outside_root=allow_outside_root,
                                                  max_pixels=MAX_PIXELS if max_pixels is None else max_pixels))

    def _sample_task(self, options: Mapping[str, Any]) -> Task:
        task = super()._sample_task(options)
        if task.video is not None or not task.images:
            raise ValueError(f"{self.data_path}, row {task.id!r}: not an image question (it has "
                             f"{'a video' if task.video is not None else 'no image'}); use a video environment")
        return task
