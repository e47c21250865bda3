"""Loaders for real image-question data from local files: PyVision-RL records, V*-Bench folders, HRBench TSV.

Every row is validated up front (required fields, image files present, base64 decodable to an image
header) without decoding images into memory; a :class:`TaskDataset` then opens each row's images only when
that row is indexed. A bad row raises :class:`DatasetError` naming the file, the row and the field, or,
with ``on_error="skip"``, is skipped and counted in one :class:`DatasetWarning`. A line that is not UTF-8 is a
bad row like any other.

Hostile data costs bounded resources: a path that resolves outside the data root (``../``, an absolute path
elsewhere, a symlink out) is a bad row unless ``allow_outside_root=True``; an image over ``max_pixels`` is
refused, from its header, before any pixel is decoded.

Accepted layouts:

* **pyvision** (``.json`` list or ``.jsonl``): records ``{"id", "question", "answer", "ability",
  "data_source", "image_path"}``; ``image_path`` is a string or a list, relative to the data file's folder
  (absolute paths work too); a ``video_path`` may replace it. ``question``, ``answer`` and one of the
  paths are required; the rest is optional.
* **vstar** (a folder, as V* Bench ships): ``<root>/<category>/<name>.<jpg|jpeg|png>`` beside
  ``<name>.json`` holding ``question`` and ``options`` (a list whose *first* option is the correct one,
  as in V* Bench's release; an optional ``answer`` letter or option text overrides that). Categories are
  the subfolders (``direct_attributes``, ``relative_position``). Options are shown in a fixed shuffled
  order, derived from the image's relative path, so the correct letter is not always A.
* **hrbench** (``.tsv``, as HR-Bench ships): a header row with ``index``, ``question``, ``answer`` (a
  letter), option columns ``A`` ``B`` ``C`` ``D`` and ``image`` (base64 JPEG/PNG, or the ``index`` of an
  earlier row whose image it shares, as VLMEvalKit TSVs do); ``category`` and ``cycle_category`` are kept
  in ``meta``.

Answers map to graders: a letter with options -> ``choice`` (``choices`` = the option texts); a number
-> ``numeric``; anything else -> ``exact``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import functools
import hashlib
import io
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, overload

from PIL import Image, UnidentifiedImageError

from pyvision_envs.tasks.draw import LETTERS, mc_question
from pyvision_envs.types import Task, VideoRef

FORMATS = ("pyvision", "vstar", "hrbench")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
_LETTER = re.compile(r"\(?([A-Z])\)?\.?")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?|[-+]?\d+/\d+")
_OPTION = re.compile(r"^\s*\(?([A-Z])[.):]\s*(.+?)\s*$", re.MULTILINE)
_SKIP_HINT = "or pass on_error='skip' to skip bad rows"
MAX_PIXELS = 50_000_000
"""Largest image (width x height) a dataset row may hold by default: HR-Bench 8K's 7680 x 4320 fits; PIL would
refuse past ~179 million pixels with a raw DecompressionBombError."""


class DatasetError(ValueError):
    """A data file or one of its rows is unusable; the message names the file, the row and the field."""


class DatasetWarning(UserWarning):
    """Rows were skipped because ``on_error="skip"`` was asked for."""


@dataclass(frozen=True)
class _Row:
    """One validated row, images not loaded: paths, or (tsv file, byte offset, byte length, column)."""

    task: Task  # images empty; filled on access
    where: str
    images: tuple[Any, ...] = ()


class _BadRow(Exception):
    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"field {field_name!r}: {problem}")


@dataclass
class TaskDataset(Sequence[Task]):
    """A sequence of :class:`Task` read from ``source_path``, whose images are opened on ``__getitem__``.

    Attributes:
        source_path: The file or folder the rows came from.
        format: Which layout it was read as (``pyvision``, ``vstar`` or ``hrbench``).
        skipped: How many bad rows ``on_error="skip"`` left out.
    """

    source_path: Path
    format: str
    rows: list[_Row] = field(repr=False)
    skipped: int = 0
    max_pixels: int = MAX_PIXELS

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Task: ...

    @overload
    def __getitem__(self, i: slice) -> list[Task]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        row = self.rows[i]
        try:
            images = tuple(_open_image(ref, self.max_pixels) for ref in row.images)
        except _BadRow as exc:
            raise DatasetError(f"{self.source_path}, {row.where}: {exc}") from None
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise DatasetError(f"{self.source_path}, {row.where}: image could not be read: {exc}") from None
        return dataclasses.replace(row.task, images=images)


def _open_image(ref: Any, max_pixels: int = MAX_PIXELS) -> Image.Image:
    if isinstance(ref, tuple):  # (tsv path, offset, length, column)
        path, offset, length, column = ref
        with open(path, "rb") as fh:
            fh.seek(offset)
            cells = _split_tsv(fh.read(length).decode("utf-8"))
        data = base64.b64decode(cells[column])
        with _open_capped(io.BytesIO(data), "image", max_pixels) as im:
            return im.convert("RGB")
    with _open_capped(ref, "image_path", max_pixels) as im:
        return im.convert("RGB")


def _open_capped(source: Any, field_name: str, max_pixels: int) -> Image.Image:
    """``Image.open`` (the header only) that refuses more than ``max_pixels`` before any pixel is decoded."""
    name = source if isinstance(source, str) else "the base64 image"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our cap below is the check
        try:
            im = Image.open(source)
        except Image.DecompressionBombError as exc:  # past twice PIL's own limit: PIL names the size
            raise _BadRow(field_name, f"{name} is too large to open ({exc}); the limit is max_pixels="
                          f"{max_pixels:,}: downscale the file") from None
    if im.width * im.height > max_pixels:
        im.close()
        raise _BadRow(field_name, f"{name} is {im.width} x {im.height} = {im.width * im.height:,} pixels, over "
                      f"max_pixels={max_pixels:,}; downscale the file, or raise max_pixels")
    return im


def load_dataset(path: str | Path, format: str = "auto", on_error: str = "raise", *,
                 allow_outside_root: bool = False, max_pixels: int = MAX_PIXELS) -> TaskDataset:
    """Read a dataset of image questions from local files.

    Args:
        path: A ``.json``/``.jsonl`` file (PyVision-RL records), a ``.tsv`` file (HRBench), or a folder
            (V*-Bench layout).
        format: ``"auto"`` (from the path), ``"pyvision"``, ``"vstar"`` or ``"hrbench"``.
        on_error: ``"raise"`` (default): the first bad row raises :class:`DatasetError`; ``"skip"``: bad
            rows are left out and counted in a single :class:`DatasetWarning`.
        allow_outside_root: Accept image and video paths that resolve outside the data root (the data file's
            folder, or the V*-Bench folder), through ``../``, absolute paths or symlinks. Off by default: a
            dataset must not make the environment open or show arbitrary files.
        max_pixels: Largest image accepted (width x height); a larger one is refused from its header.

    Raises:
        DatasetError: The path is missing, the format cannot be told, or (with ``on_error="raise"``) a row
            is bad.
    """
    path = Path(path)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'")
    if max_pixels < 1:
        raise ValueError(f"max_pixels={max_pixels!r} must be >= 1")
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder; check the path")
    if format == "auto":
        format = _guess_format(path)
    readers: dict[str, Callable[[Path, _Limits], Iterator[tuple[str, Callable[[], _Row]]]]] = {
        "pyvision": _pyvision_rows, "vstar": _vstar_rows, "hrbench": _hrbench_rows}
    if format not in readers:
        raise DatasetError(f"{path}: unknown format {format!r}; use one of {FORMATS} or 'auto'")
    root = path if path.is_dir() else path.parent
    limits = _Limits(None if allow_outside_root else root.resolve(), max_pixels)
    rows, bad = [], []
    for where, build in readers[format](path, limits):
        try:
            rows.append(build())
        except _BadRow as exc:
            if on_error == "raise":
                raise DatasetError(f"{path}, {where}: {exc}; fix the row, {_SKIP_HINT}") from None
            bad.append((where, str(exc)))
    if bad:
        shown = ", ".join(w for w, _ in bad[:5]) + (", ..." if len(bad) > 5 else "")
        warnings.warn(f"{path}: skipped {len(bad)} bad row(s) of {len(bad) + len(rows)} ({shown}); first: "
                      f"{bad[0][1]}", DatasetWarning, stacklevel=2)
    return TaskDataset(source_path=path, format=format, rows=rows, skipped=len(bad), max_pixels=max_pixels)


def _guess_format(path: Path) -> str:
    if path.is_dir():
        return "vstar"
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        return "pyvision"
    if suffix == ".tsv":
        return "hrbench"
    raise DatasetError(f"{path}: cannot tell the format from the suffix {suffix!r}; pass format= one of {FORMATS}")


def grading_for(answer: str, question: str, options: Sequence[str] | None = None) -> tuple[str, dict]:
    r"""Pick the grader for an answer: letters -> choice, numbers -> numeric, anything else -> exact.

    Examples:
        >>> grading_for("B", "Which?\nA. red\nB. blue")
        ('choice', {'choices': ['red', 'blue']})
        >>> grading_for("3.5", "How long?"), grading_for("Paris", "Where?")
        (('numeric', {}), ('exact', {}))
    """
    letter = _LETTER.fullmatch(answer.strip())
    if letter:
        opts = list(options) if options is not None else [t for _, t in _OPTION.findall(question)]
        if opts and LETTERS.index(letter.group(1)) < len(opts):
            return "choice", {"choices": opts}
        if options is None and not opts:
            return "choice", {}
    if _NUMBER.fullmatch(answer.strip().replace(",", "")):
        return "numeric", {}
    return "exact", {}


def _task(**kw: Any) -> Task:
    kw["grader_args"] = MappingProxyType(dict(kw.get("grader_args", {})))
    kw["public"] = MappingProxyType(dict(kw.get("public", {})))
    kw["meta"] = MappingProxyType(dict(kw.get("meta", {})))
    return Task(**kw)


def _text_field(rec: dict, name: str) -> str:
    value = rec.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow(name, "missing or empty")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _BadRow(name, f"expected text or a number, got {type(value).__name__}")
    return str(value).strip()


@dataclass(frozen=True)
class _Limits:
    """What a row may reach: files under ``root`` (None: anywhere), images up to ``max_pixels``."""

    root: Path | None
    max_pixels: int = MAX_PIXELS


def outside_root(path: Path, root: Path | None, ref: Any) -> str | None:
    """Why ``path`` may not be opened: it resolves (symlinks followed) outside ``root``; None when it may."""
    if root is None:
        return None
    resolved = path.resolve()
    if resolved.is_relative_to(root):
        return None
    return (f"{ref!r} resolves to {resolved}, outside the data root {root}; keep the files under the data folder, "
            "or pass allow_outside_root=True if you trust this dataset")


def _inside_root(path: Path, root: Path | None, name: str, ref: Any) -> None:
    problem = outside_root(path, root, ref)
    if problem:
        raise _BadRow(name, problem)


def _existing(base: Path, name: str, ref: Any, root: Path | None = None) -> str:
    if not isinstance(ref, str) or not ref:
        raise _BadRow(name, f"expected a path string, got {ref!r}")
    p = Path(ref) if Path(ref).is_absolute() else base / ref
    _inside_root(p, root, name, ref)
    if not p.is_file():
        raise _BadRow(name, f"file {ref!r} not found (looked for {p}); paths are relative to the data file")
    return str(p)


def _pyvision_record(rec: Any, base: Path, stem: str, n: int, root: Path | None = None) -> _Row:
    if not isinstance(rec, dict):
        raise _BadRow("<record>", f"expected a JSON object, got {type(rec).__name__}")
    question, answer = _text_field(rec, "question"), _text_field(rec, "answer")
    video = None
    if rec.get("image_path") is not None:
        refs = rec["image_path"] if isinstance(rec["image_path"], list) else [rec["image_path"]]
        if not refs:
            raise _BadRow("image_path", "empty list")
        images = tuple(_existing(base, "image_path", r, root) for r in refs)
    elif rec.get("video_path") is not None:
        images, video = (), VideoRef(_existing(base, "video_path", rec["video_path"], root))
    else:
        raise _BadRow("image_path", "missing (give image_path, or video_path for a video record)")
    grader, args = grading_for(answer, question)
    source = str(rec.get("data_source") or "imageqa")
    public = {"choices": args["choices"]} if "choices" in args else {}
    meta = {k: rec[k] for k in ("ability", "data_source") if k in rec}
    task = _task(id=str(rec.get("id", f"{stem}-{n}")), question=question, answer=answer, grader=grader,
                 grader_args=args, video=video, family=source, public=public, meta=meta)
    return _Row(task=task, where="", images=images)


def _pyvision_rows(path: Path, limits: _Limits) -> Iterator[tuple[str, Callable[[], _Row]]]:
    base, stem = path.parent, path.stem
    for where, rec in json_records(path):
        if isinstance(rec, BadRecord):
            yield where, _located(where, functools.partial(_raise, _BadRow("<line>", str(rec))))
        else:
            n = int(where.split()[1])
            yield where, _located(where, lambda rec=rec, n=n: _pyvision_record(rec, base, stem, n, limits.root))


def _raise(exc: Exception) -> _Row:
    raise exc


def json_records(path: Path) -> list[tuple[str, Any]]:
    """``(where, record)`` of a JSON list (``item i``) or JSON Lines (``line n``) file.

    A JSON Lines line that is not UTF-8 or not JSON comes back as a :class:`BadRecord` in place of its record, so
    that it can be skipped like any bad row; a broken JSON list file raises :class:`DatasetError` naming the
    line and column.
    """
    data = path.read_bytes()
    if data.lstrip().startswith(b"["):
        try:
            return [(f"item {i}", rec) for i, rec in enumerate(json.loads(data.decode("utf-8")))]
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DatasetError(f"{path}: not UTF-8 text at line {line} (byte {data[exc.start]:#04x}); save the "
                               "file as UTF-8") from None
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                               "a .json file must hold one list of records, or use JSON Lines") from None
        except RecursionError:
            raise DatasetError(f"{path}: JSON nested too deeply to read; a .json file must hold one list of "
                               "records") from None
    out: list[tuple[str, Any]] = []
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        if raw.strip():
            out.append((f"line {lineno}", _json_line(raw)))
    return out


class BadRecord(ValueError):
    """Why a line of a JSON Lines file holds no record (not UTF-8, not JSON)."""


def _json_line(raw: bytes) -> Any:
    """One JSON Lines record, or the :class:`BadRecord` that says why it is none."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return BadRecord(f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1}); save the file "
                         "as UTF-8")
    except json.JSONDecodeError as exc:
        return BadRecord(f"not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return BadRecord("JSON nested too deeply to read")


def _located(where: str, build: Callable[[], _Row]) -> Callable[[], _Row]:
    def run() -> _Row:
        row = build()
        return _Row(task=row.task, where=where, images=row.images)
    return run


def _vstar_rows(root: Path, limits: _Limits) -> Iterator[tuple[str, Callable[[], _Row]]]:
    images = sorted(p for p in root.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise DatasetError(f"{root}: no <category>/<name>.jpg images found; expected the V* Bench layout "
                           "(direct_attributes/, relative_position/ with an image and a .json per question)")
    for img in images:
        rel = img.relative_to(root).as_posix()
        yield rel, _located(rel, lambda img=img, rel=rel: _vstar_row(root, img, rel, limits.root))


def _vstar_row(root: Path, img: Path, rel: str, inside: Path | None = None) -> _Row:
    _inside_root(img, inside, "<image>", rel)
    ann = img.with_suffix(".json")
    if not ann.is_file():
        raise _BadRow("<annotation>", f"no {ann.name} beside the image; each image needs its question JSON")
    _inside_root(ann, inside, "<annotation>", ann.name)
    try:
        rec = json.loads(ann.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _BadRow("<annotation>", f"{ann.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _BadRow("<annotation>", f"{ann.name} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise _BadRow("<annotation>", f"{ann.name} is JSON nested too deeply to read") from None
    if not isinstance(rec, dict):
        raise _BadRow("<annotation>", f"{ann.name} must hold a JSON object")
    question = _text_field(rec, "question")
    options = rec.get("options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise _BadRow("options", "expected a list of at least two option strings (the first one correct)")
    correct = _vstar_correct(rec, options)
    # A permutation fixed by the relative path: stable across runs and machines, not always A.
    seed = int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "little")
    order = sorted(range(len(options)), key=lambda k: (seed >> (k * 5)) % 997 * 10 + k)
    shown = [options[k] for k in order]
    task = _task(id=f"vstar/{rel}", question=mc_question(question, shown), answer=LETTERS[order.index(correct)],
                 grader="choice", grader_args={"choices": shown}, family="vstar", public={"choices": shown},
                 meta={"category": img.parent.name, "target_object": rec.get("target_object")})
    return _Row(task=task, where=rel, images=(str(img),))


def _vstar_correct(rec: dict, options: list[str]) -> int:
    given = rec.get("answer", rec.get("label"))
    if given is None:
        return 0
    given = str(given).strip()
    letter = _LETTER.fullmatch(given)
    if letter and LETTERS.index(letter.group(1)) < len(options):
        return LETTERS.index(letter.group(1))
    if given in options:
        return options.index(given)
    raise _BadRow("answer", f"{given!r} is neither an option letter nor one of the options")


def _split_tsv(text: str) -> list[str]:
    old = csv.field_size_limit(sys.maxsize)  # base64 images are far above csv's default 128 KiB
    try:
        return next(csv.reader([text.rstrip("\r\n")], delimiter="\t"))
    finally:
        csv.field_size_limit(old)


def _tsv_records(path: Path) -> Iterator[tuple[int, int, int, str]]:
    """(first line number, byte offset, byte length, text) of each record; quoted fields may span lines."""
    with open(path, "rb") as fh:
        offset, lineno, start, start_line, parts = 0, 0, 0, 0, []
        for raw in fh:
            lineno += 1
            if not parts:
                start, start_line = offset, lineno
            parts.append(raw)
            offset += len(raw)
            text = b"".join(parts).decode("utf-8", errors="replace")
            if text.count('"') % 2 == 0:
                parts = []
                if text.strip():
                    yield start_line, start, offset - start, text
        if parts:
            yield start_line, start, offset - start, b"".join(parts).decode("utf-8", errors="replace")


def _hrbench_rows(path: Path, limits: _Limits) -> Iterator[tuple[str, Callable[[], _Row]]]:
    records = _tsv_records(path)
    try:
        _, _, _, head = next(records)
    except StopIteration:
        raise DatasetError(f"{path}: empty file; expected a header row (index, question, answer, A-D, image)") from None
    header = _split_tsv(head)
    missing = [c for c in ("index", "question", "answer", "image") if c not in header]
    if missing:
        raise DatasetError(f"{path}: header lacks column(s) {missing}; found {header}. HRBench TSVs have index, "
                           "question, answer, A, B, C, D, image, category, cycle_category")
    images: dict[str, tuple] = {}
    for lineno, offset, length, text in records:
        where = f"line {lineno}"
        yield where, _located(where, lambda a=(path, header, offset, length, text, images, limits.max_pixels):
                              _hrbench_row(*a))


def _hrbench_row(path: Path, header: list, offset: int, length: int, text: str, images: dict,
                 max_pixels: int = MAX_PIXELS) -> _Row:
    cells = _split_tsv(text)
    if len(cells) != len(header):
        raise _BadRow("<row>", f"{len(cells)} tab-separated cells, header has {len(header)}")
    rec = dict(zip(header, cells))
    index, question, answer = (_text_field(rec, k) for k in ("index", "question", "answer"))
    options = [rec[c] for c in LETTERS if c in rec and rec[c].strip() and rec[c].strip().lower() != "nan"]
    if len(options) < 2:
        raise _BadRow("A", "fewer than two non-empty option columns (A, B, ...)")
    if not _LETTER.fullmatch(answer) or LETTERS.index(_LETTER.fullmatch(answer).group(1)) >= len(options):
        raise _BadRow("answer", f"{answer!r} is not the letter of one of the {len(options)} options")
    blob = rec["image"].strip()
    if blob.isdigit() and len(blob) <= 64:  # VLMEvalKit convention: share the image of row `index`
        if blob not in images:
            raise _BadRow("image", f"refers to row index {blob}, which has no image earlier in the file")
        ref = images[blob]
    else:
        try:
            data = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise _BadRow("image", "not valid base64") from None
        try:
            _open_capped(io.BytesIO(data), "image", max_pixels).close()  # the header only: no pixels decoded
        except (UnidentifiedImageError, OSError):
            raise _BadRow("image", f"base64 decodes to {data[:8]!r}..., not a JPEG/PNG image") from None
        ref = (str(path), offset, length, header.index("image"))
    images[index] = ref
    letter = _LETTER.fullmatch(answer).group(1)
    task = _task(id=f"{path.stem}-{index}", question=mc_question(question, options), answer=letter,
                 grader="choice", grader_args={"choices": options}, family="hrbench",
                 public={"choices": options},
                 meta={k: rec[k] for k in ("index", "category", "cycle_category") if k in rec})
    return _Row(task=task, where="", images=(ref,))
