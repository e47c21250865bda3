"""Loaders for real video-question data from local files: PyVision-RL video records and VSI-Bench JSON.

Accepted layouts:

* **pyvision** (``.json`` list or ``.jsonl``): PyVision-RL records ``{"id", "question", "answer", "ability",
  "data_source", "video_path"}``, ``video_path`` relative to the data file's folder (absolute paths work too).
  Parsed by :func:`pyvision_envs.tasks.loaders.load_dataset`; rows with ``image_path`` are refused here.
* **vsibench** (``.json`` list or ``.jsonl``): VSI-Bench records ``{"id", "dataset", "scene_name",
  "question_type", "question", "ground_truth", "options"}``; the video is
  ``<video_root>/<dataset>/<scene_name>.mp4`` (as VSI-Bench's release unpacks), or a ``video_path`` field.
  Numeric question types (``object_counting``, ``object_abs_distance``, ``object_size_estimation``,
  ``room_size_estimation``) are graded with Mean Relative Accuracy, the others as multiple choice with the
  option texts (``"A. chair"`` -> ``"chair"``).

Every video is checked when the dataset is loaded (``verify="ends"``: opened, and its last frame decoded,
which is where a truncated file fails). A missing, truncated or undecodable video raises
:class:`~pyvision_envs.tasks.loaders.DatasetError` naming the data file, the row and the video file; with
``on_error="skip"`` that row is left out, the rest of the batch is kept, and one
:class:`~pyvision_envs.tasks.loaders.DatasetWarning` counts the skipped rows.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pyvision_envs.tasks.draw import mc_question
from pyvision_envs.tasks.loaders import (
    BadRecord,
    DatasetError,
    DatasetWarning,
    json_records,
    load_dataset,
    outside_root,
)
from pyvision_envs.types import Task, VideoRef

FORMATS = ("pyvision", "vsibench")
VSI_NUMERIC_TYPES = ("object_counting", "object_abs_distance", "object_size_estimation", "room_size_estimation")
VSI_CHOICE_TYPES = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard",
                    "object_rel_distance", "route_planning", "obj_appearance_order")
VERIFY = ("ends", "open", "none")


@dataclass
class VideoDataset(Sequence[Task]):
    """The tasks of a video dataset, every video already checked.

    Attributes:
        source_path: The data file.
        format: ``pyvision`` or ``vsibench``.
        tasks: The rows, as tasks with ``video`` set.
        skipped: Rows left out by ``on_error="skip"``.
    """

    source_path: Path
    format: str
    tasks: list[Task] = field(repr=False)
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.tasks)

    def __getitem__(self, i):  # noqa: D105
        return self.tasks[i]


class _BadRow(Exception):
    pass


def load_video_dataset(path: str | Path, format: str = "auto", on_error: str = "raise",
                       video_root: str | Path | None = None, verify: str = "ends", *,
                       allow_outside_root: bool = False) -> VideoDataset:
    """Read a dataset of video questions from local files and check its videos.

    Args:
        path: A ``.json`` (one list of records) or ``.jsonl`` file.
        format: ``"auto"`` (``vsibench`` when records have ``scene_name``/``ground_truth``), ``"pyvision"`` or
            ``"vsibench"``.
        on_error: ``"raise"``: the first bad row raises :class:`DatasetError`; ``"skip"``: bad rows are left
            out and counted in one :class:`DatasetWarning`.
        video_root: Folder holding ``<dataset>/<scene_name>.mp4`` for VSI-Bench (default: the data file's folder).
        verify: ``"ends"`` (open and decode the first and last frames), ``"open"`` (open only) or ``"none"``.
        allow_outside_root: Accept video paths that resolve outside the data root (``video_root`` for
            VSI-Bench, else the data file's folder) through ``../``, absolute paths or symlinks; off by default.

    Raises:
        DatasetError: The file is missing or unreadable, the format unknown, or (``on_error="raise"``) a row or
            its video is bad.
    """
    path = Path(path)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'")
    if verify not in VERIFY:
        raise ValueError(f"verify={verify!r}: use one of {VERIFY}")
    if not path.is_file():
        raise DatasetError(f"{path}: no such data file; check the path")
    records = _records(path)
    if format == "auto":
        first = next((r for _, r in records if isinstance(r, dict)), {})
        format = "vsibench" if {"scene_name", "ground_truth"} & set(first) else "pyvision"
    if format not in FORMATS:
        raise DatasetError(f"{path}: unknown format {format!r}; use one of {FORMATS} or 'auto'")
    rows, bad = _rows(path, format, records, on_error, video_root, allow_outside_root)
    tasks = []
    for where, task in rows:
        try:
            _verify(task.video.path, verify)
        except _BadRow as exc:
            if on_error == "raise":
                raise DatasetError(f"{path}, {where}: {exc}; fix or remove the video, or pass on_error='skip'") from None
            bad.append((where, str(exc)))
            continue
        tasks.append(task)
    if bad:
        shown = ", ".join(w for w, _ in bad[:5]) + (", ..." if len(bad) > 5 else "")
        warnings.warn(f"{path}: skipped {len(bad)} bad row(s) of {len(bad) + len(tasks)} ({shown}); first: "
                      f"{bad[0][1]}", DatasetWarning, stacklevel=2)
    return VideoDataset(source_path=path, format=format, tasks=tasks, skipped=len(bad))


def _records(path: Path) -> list[tuple[str, Any]]:
    """``(where, record)`` pairs of a JSON list or JSON Lines file; a line that is not UTF-8 JSON is a bad record."""
    return [(where, _BadRow(f"field '<line>': {rec}") if isinstance(rec, BadRecord) else rec)
            for where, rec in json_records(path)]


def _rows(path: Path, format: str, records: list[tuple[str, Any]], on_error: str, video_root: str | Path | None,
          allow_outside_root: bool = False) -> tuple[list[tuple[str, Task]], list[tuple[str, str]]]:
    """Parse the records into tasks; collect bad ones (or raise, per ``on_error``)."""
    if format == "pyvision":
        return _pyvision(path, on_error, allow_outside_root)
    root = Path(video_root) if video_root is not None else path.parent
    inside = None if allow_outside_root else root.resolve()
    rows, bad = [], []
    for n, (where, rec) in enumerate(records):
        try:
            if isinstance(rec, _BadRow):
                raise rec
            task = _vsi_task(rec, root, path.stem, n)
            problem = outside_root(Path(task.video.path), inside, task.video.path)
            if problem:
                raise _BadRow(f"field 'video_path': {problem}")
            rows.append((where, task))
        except _BadRow as exc:
            if on_error == "raise":
                raise DatasetError(f"{path}, {where}: {exc}; fix the row, or pass on_error='skip'") from None
            bad.append((where, str(exc)))
    return rows, bad


def _pyvision(path: Path, on_error: str, allow_outside_root: bool = False
              ) -> tuple[list[tuple[str, Task]], list[tuple[str, str]]]:
    """PyVision-RL records through the image loader (same rules and messages), keeping only video rows."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DatasetWarning)
        ds = load_dataset(path, format="pyvision", on_error=on_error, allow_outside_root=allow_outside_root)
    notes = [str(w.message) for w in caught if issubclass(w.category, DatasetWarning)]
    bad = [("a row the record parser refused", notes[0] if notes else "bad record")] * ds.skipped
    rows = []
    for i, row in enumerate(ds.rows):
        task = row.task  # not ds[i]: that would decode the images of image rows, which are refused anyway
        where = f"row {i} (id {task.id!r})"
        if task.video is None:
            if on_error == "raise":
                raise DatasetError(f"{path}, {where}: field 'video_path': missing (this row has image_path; use "
                                   "PyVision/ImageQA-v0 for image rows), or pass on_error='skip'")
            bad.append((where, "field 'video_path': missing (an image row)"))
            continue
        rows.append((where, task))
    return rows, bad


def _vsi_task(rec: Any, root: Path, stem: str, n: int) -> Task:
    """One VSI-Bench record as a task."""
    if not isinstance(rec, dict):
        raise _BadRow(f"expected a JSON object, got {type(rec).__name__}")
    question, answer = _text(rec, "question"), _text(rec, "ground_truth")
    qtype = str(rec.get("question_type") or "")
    if rec.get("video_path"):
        video = Path(str(rec["video_path"]))
        video = video if video.is_absolute() else root / video
    else:
        video = root / _text(rec, "dataset") / f"{_text(rec, 'scene_name')}.mp4"
    options = rec.get("options")
    if options is not None and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
        raise _BadRow(f"field 'options': expected a list of strings or null, got {options!r}")
    meta = {k: rec[k] for k in ("dataset", "scene_name", "question_type") if k in rec}
    if qtype in VSI_NUMERIC_TYPES or (qtype not in VSI_CHOICE_TYPES and not options):
        text, grader, args, public = question + "\nAnswer with a number.", "mra", {}, {"question_type": qtype}
    else:
        if not options:
            raise _BadRow(f"field 'options': a {qtype or 'multiple-choice'} question needs its options")
        texts = [_strip_letter(o) for o in options]
        text, grader = mc_question(question, texts), "choice"
        args, public = {"choices": texts}, {"question_type": qtype, "choices": texts}
    return Task(id=str(rec.get("id", f"{stem}-{n}")), question=text, answer=answer, grader=grader,
                grader_args=MappingProxyType(args), video=VideoRef(str(video)), family="vsibench",
                public=MappingProxyType(public), meta=MappingProxyType(meta))


def _text(rec: dict, name: str) -> str:
    value = rec.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow(f"field {name!r}: missing or empty")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _BadRow(f"field {name!r}: expected text or a number, got {type(value).__name__}")
    return str(value).strip()


def _strip_letter(option: str) -> str:
    """``"A. chair"`` -> ``"chair"`` (VSI-Bench writes the letters into the option strings)."""
    head, sep, rest = option.partition(". ")
    return rest.strip() if sep and len(head) == 1 and head.isalpha() else option.strip()


def _verify(video_path: str, verify: str) -> None:
    """Raise :class:`_BadRow` naming the file if the video is missing or cannot be decoded."""
    if verify == "none":
        if not Path(video_path).is_file():
            raise _BadRow(f"field 'video_path': file {video_path} not found")
        return
    from pyvision_envs.media import VideoError, open_video  # lazy: decoders only when checking

    try:
        with open_video(video_path) as v:
            if verify == "ends":
                v.get_batch([0, v.num_frames - 1])
    except VideoError as exc:
        raise _BadRow(f"video: {exc}") from None



def write_demo_dataset(folder: str | Path, rows: int = 3, family: str = "video_timing",
                       difficulty: str = "easy") -> Path:
    """Write a small PyVision-RL video dataset (mp4 files and ``data.jsonl``) from a synthetic family.

    Handy for smoke tests and examples of ``PyVision/VideoQA-v0``: the rows are real records in the format
    :func:`load_video_dataset` reads, with videos beside the data file.

    Returns:
        The path of ``data.jsonl``.
    """
    import shutil

    from pyvision_envs.tasks.base import get_family

    folder = Path(folder)
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    fam = get_family(family, difficulty)
    lines = []
    for seed in range(rows):
        task = fam.generate(seed)
        name = f"videos/{task.id}.mp4"
        shutil.copyfile(task.video.path, folder / name)
        lines.append(json.dumps({"id": task.id, "question": task.question, "answer": task.answer,
                                 "ability": "video", "data_source": family, "video_path": name}))
    path = folder / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
