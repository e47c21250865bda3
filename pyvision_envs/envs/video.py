r"""Video environments (PyVision-Video): the model samples the frames it needs through code.

Their ids come from the video rows of :mod:`pyvision_envs.catalog`. This module imports no decoding library at
import time (``pyvision_envs.media`` is imported when an episode opens its video).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from PIL import Image

from pyvision_envs.core import PyVisionEnv
from pyvision_envs.envs.task_sources import DatasetTasks, FamilyTasks
from pyvision_envs.protocol import video_prompt
from pyvision_envs.types import Observation, Task


class VideoEnv(PyVisionEnv):
    """Shared base of the video environments: fills the base's episode hooks with the episode's video.

    ``_open_episode`` opens the task's video, ``_close_episode`` releases it (after the base has stopped the
    sandbox that serves it), ``_extra_info`` reports what the video cost; the life cycle is the base's.

    Args:
        frames_up_front: Put this many uniformly sampled frames in the first observation (the "frames up
            front" baseline); 0 (default) shows none, as PyVision-Video does.
        video_backend: ``"auto"``, ``"decord"`` or ``"pyav"`` (see :func:`pyvision_envs.media.open_video`).
        render_mode: ``None`` or ``"ansi"``.
        **config: Any :class:`~pyvision_envs.core.EnvConfig` field.
    """

    def __init__(self, frames_up_front: int = 0, video_backend: str = "auto", render_mode: str | None = None,
                 **config: Any) -> None:
        super().__init__(render_mode=render_mode, **config)
        if not isinstance(frames_up_front, int) or frames_up_front < 0:
            raise ValueError(f"frames_up_front must be a non-negative integer, got {frames_up_front!r}")
        if frames_up_front > self.config.max_images:
            raise ValueError(f"frames_up_front={frames_up_front} exceeds max_images={self.config.max_images}")
        self.frames_up_front = frames_up_front
        self.video_backend = video_backend
        self._video: Any = None

    _transient = (*PyVisionEnv._transient, "_video")  # a decoder cannot be copied: the copy reopens the file

    # ----- hooks of PyVisionEnv -----
    def _open_episode(self, task: Task) -> None:
        """Open the task's video (its size and length are in the prompt)."""
        self._open(task)

    def _close_episode(self) -> None:
        """Stop the sandbox (it serves the video), then release the video."""
        super()._close_episode()
        video, self._video = self._video, None
        if video is not None:
            video.close()

    def _prompt(self, task: Task) -> Observation:
        """The video prompt (size, frame count, fps; no frames unless ``frames_up_front``)."""
        video = self._open(task)
        obs = video_prompt(task.question, video.width, video.height, video.num_frames, video.fps,
                           brief=self.config.prompt == "brief")
        k = min(self.frames_up_front, video.num_frames)
        if k:
            idx = sorted({int(round(i)) for i in np.linspace(0, video.num_frames - 1, k)})
            frames = [Image.fromarray(f) for f in video.get_batch(idx)]
            lines = "".join(f"frame {i} (t = {i / video.fps:.2f} s): <image>\n" for i in idx)
            obs = Observation(text=f"{obs.text}\n\n{len(idx)} frames sampled uniformly from the video:\n{lines}",
                              images=tuple(frames))
        video.reset_stats()  # count only the frames the policy's code asks for
        return obs

    def _sandbox_kwargs(self, task: Task) -> dict[str, Any]:
        """The base sandbox settings, plus the video (decoded on the host, served to ``video_clue_0``)."""
        kwargs = super()._sandbox_kwargs(task)
        kwargs["video"] = self._open(task)
        return kwargs

    def _extra_info(self, ep: Any) -> dict[str, Any]:
        """The video's cost figures (see :class:`VideoTaskEnv`'s card)."""
        video = self._video
        return {"frames_decoded": int(video.stats.frames_requested) if video is not None else 0,
                "frames_shown": int(ep.images_shown),
                "video_frames": int(video.num_frames) if video is not None else 0,
                "uniform_1fps_visual_tokens": self._uniform_1fps_tokens(video)}

    # ----- helpers -----
    def _open(self, task: Task) -> Any:
        """The episode's :class:`~pyvision_envs.media.VideoSource` (reopened if the task changed)."""
        if task.video is None:
            raise ValueError(f"task {task.id!r} has no video; video environments need Task.video set")
        if self._video is not None and self._video.path == task.video.path:
            return self._video
        from pyvision_envs.media import open_video  # lazy: keeps the registry import free of decoders

        if self._video is not None:
            self._video.close()
        self._video = open_video(task.video.path, backend=self.video_backend)
        return self._video

    def _uniform_1fps_tokens(self, video: Any) -> int:
        """Visual tokens of showing one frame per second of the whole video (the paper's baseline)."""
        if video is None:
            return 0
        frames = max(1, math.ceil(video.num_frames / video.fps)) if video.fps > 0 else video.num_frames
        return int(frames * self.config.visual_token_rule(video.width, video.height))



class VideoTaskEnv(FamilyTasks, VideoEnv):
    r"""Answer a procedurally generated question about a video by sampling its frames with code (PyVision-Video).

    **Description.** Each episode draws one task from a video family in ``pyvision_envs.tasks.video`` (event
    timing, counting over time, temporal order, motion, spatial layout under a panning camera) at a
    difficulty. Videos are rendered and encoded deterministically by seed and cached on disk.

    **Action.** The text of one model turn: code in ``<code>\n```python\n...\n```\n</code>`` (runs in the
    sandbox, state persists) or the answer in ``<answer>\n\boxed{...}\n</answer>``.

    **Observation.** :class:`~pyvision_envs.types.Observation`. The prompt gives only the frame width, height,
    count and fps and says the video is ``video_clue_0`` (decord's interface: ``len(v)``, ``v[i]``,
    ``v.get_batch(idx)``, ``v.get_avg_fps()``, ``v.get_frame_timestamp(i)``); no frames, unless
    ``frames_up_front=K`` puts K uniformly sampled frames in it. Later observations are ``<interpreter>``
    results with the figures the code showed.

    **Reward.** As every PyVision env: ``R = acc + 0.1 * n_ok * 1[acc = 1]``, paid at the end, terms in
    ``info["reward_terms"]``.

    **Termination.** An answer terminates; ``max_turns`` (5), ``max_images`` (32) or ``max_context_tokens``
    truncate.

    **Info.** Beyond the base keys: ``frames_decoded`` (frames the policy's code fetched, repeats counted),
    ``frames_shown`` (images that entered the context: up-front frames and shown figures), ``video_frames``,
    ``visual_tokens`` (what those images cost) and ``uniform_1fps_visual_tokens`` (what one frame per second of
    the same video would cost under the same ``visual_token_rule``).

    **Registered ids.** ``PyVision/Video<Family>-v0`` (medium), ``-Easy-v0`` and ``-Hard-v0`` for Family in
    Timing, Counting, Order, Motion, Spatial.

    Args:
        family: A video family name (``video_timing``, ``video_counting``, ``video_order``, ``video_motion``,
            ``video_spatial``).
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        frames_up_front: See :class:`VideoEnv`.
        video_backend: See :class:`VideoEnv`.
        render_mode: ``None`` or ``"ansi"``.
        **config: Any :class:`~pyvision_envs.core.EnvConfig` field.

    ``reset(options={"index": n})`` plays the family's task ``n`` (its seed); ``options={"task": task}`` plays a
    given task.
    """

    modality = "video"

    def __init__(self, family: str, difficulty: str = "medium", frames_up_front: int = 0,
                 video_backend: str = "auto", render_mode: str | None = None, **config: Any) -> None:
        super().__init__(frames_up_front=frames_up_front, video_backend=video_backend, render_mode=render_mode,
                         **config)
        self._use_family(family, difficulty)


class VideoQAEnv(DatasetTasks, VideoEnv):
    r"""Answer questions from a local video dataset by sampling frames with code (PyVision-Video on real data).

    **Description.** Rows of a dataset on disk, read by
    :func:`pyvision_envs.tasks.video.loaders.load_video_dataset`: PyVision-RL records with ``video_path``, or
    VSI-Bench JSON (videos under ``video_root/<dataset>/<scene_name>.mp4``). Every video is checked at load;
    a broken one raises an error naming it (or, with ``on_bad_row="skip"``, is left out with a warning).

    **Action, observation, reward, termination, info.** As :class:`VideoTaskEnv`.

    **Registered ids.** ``PyVision/VideoQA-v0`` (``gym.make("PyVision/VideoQA-v0", data_path=...)``).

    Args:
        data_path: The data file (``.json`` or ``.jsonl``).
        data_format: ``"auto"``, ``"pyvision"`` or ``"vsibench"``.
        video_root: Folder of the VSI-Bench videos (default: the data file's folder).
        on_bad_row: ``"raise"`` or ``"skip"`` for bad rows and broken videos (the same option as
            ``ImageQAEnv``'s).
        on_error: Deprecated name of ``on_bad_row``.
        allow_outside_root: Accept video paths that resolve outside the data root (``video_root``, else the data
            file's folder) through ``../``, absolute paths or symlinks; off by default.
        frames_up_front: See :class:`VideoEnv`.
        video_backend: See :class:`VideoEnv`.
        render_mode: ``None`` or ``"ansi"``.
        **config: Any :class:`~pyvision_envs.core.EnvConfig` field.

    Without ``options``, ``reset`` draws a row uniformly; ``options={"index": i}`` plays row ``i``.
    """

    def __init__(self, data_path: str | None = None, data_format: str = "auto", video_root: str | None = None,
                 on_bad_row: str = "raise", frames_up_front: int = 0, video_backend: str = "auto",
                 render_mode: str | None = None, allow_outside_root: bool = False, on_error: str | None = None,
                 **config: Any) -> None:
        if data_path is None:
            raise TypeError('PyVision/VideoQA-v0 needs a dataset: gym.make("PyVision/VideoQA-v0", data_path="...")')
        if on_error is not None:
            warnings.warn("VideoQAEnv(on_error=...) is deprecated: pass on_bad_row=..., the name ImageQAEnv "
                          "uses too", DeprecationWarning, stacklevel=2)
            on_bad_row = on_error
        super().__init__(frames_up_front=frames_up_front, video_backend=video_backend, render_mode=render_mode,
                         **config)
        from pyvision_envs.tasks.video.loaders import load_video_dataset

        self._use_dataset(data_path, load_video_dataset(str(data_path), format=data_format, on_error=on_bad_row,
                                                        video_root=video_root, allow_outside_root=allow_outside_root))
