"""Synthetic video task families (PyVision-Video) and loaders for video datasets.

The families (``video_timing``, ``video_counting``, ``video_order``, ``video_motion``, ``video_spatial``) are
rows of :mod:`pyvision_envs.catalog`; :func:`pyvision_envs.tasks.get_family` imports them on first use.
"""

from pyvision_envs.tasks.video.common import CACHE_ENV_VAR, VideoTaskFamily, cache_dir
from pyvision_envs.tasks.video.loaders import VideoDataset, load_video_dataset, write_demo_dataset

__all__ = ["CACHE_ENV_VAR", "VideoDataset", "VideoTaskFamily", "cache_dir", "load_video_dataset",
           "write_demo_dataset"]
