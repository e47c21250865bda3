"""The tool-program corpus of ``tests/sandbox/corpus/``: its file format, parsed and checked in one place.

Each program is one ``.py`` file in a folder named for its category. It starts with a header of
``# key: value`` comment lines and ends its header at the first other line::

    # category: colour           one of CATEGORIES (and the name of the folder it is in)
    # style: claude              gpt4 | claude | qwen: whose transcripts it imitates
    # needs: image               image (image_clue_0) | video (video_clue_0) | none
    # expect: dominant colour    optional: text the program's output must contain to pass
    # figures: 1                 optional: figures (plt.show / show) it must produce to pass
    # exception: file: why       optional: only makes sense with real file or network access

A line ``# %%`` splits a program into cells, run in order in one persistent namespace (one turn each, as in
a multi-turn episode). ``$LOOPBACK_URL`` in the text stands for a real HTTP server on loopback that the
bench starts (it serves ``/image.png``, the input image).

A program passes when no cell raises, its output contains ``expect`` and it shows at least ``figures``
figures. The corpus is data: linters skip it, and the programs repeat the habits they imitate on purpose.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "sandbox" / "corpus"
CATEGORIES = {
    "basic": "basic image processing",
    "advanced": "segmentation, edges, morphology, components",
    "prompting": "visual prompting and sketching",
    "numeric": "numerical and statistical analysis",
    "colour": "colour analysis",
    "geometry": "geometry and measurement",
    "video": "video frame sampling and comparison",
    "python": "plain Python",
}
STYLES = ("gpt4", "claude", "qwen")
NEEDS = ("image", "video", "none")
EXCEPTION_KINDS = ("file", "network")
CELL_MARK = "# %%"
_KEYS = ("category", "style", "needs", "expect", "figures", "exception")
_REQUIRED = ("category", "style", "needs")


class CorpusError(ValueError):
    """A corpus file breaks the format; the message names the file, the field and the fix."""


@dataclasses.dataclass(frozen=True)
class Program:
    """One corpus program."""

    name: str
    category: str
    style: str
    needs: str
    cells: tuple[str, ...]
    expect: str = ""
    figures: int = 0
    exception: str = ""

    def meta(self) -> dict[str, object]:
        """Everything but the code (its number of cells instead), for reports."""
        return {**{k: v for k, v in dataclasses.asdict(self).items() if k != "cells"}, "cells": len(self.cells)}


def _header(path: Path, lines: list[str]) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    n = 0
    for n, line in enumerate(lines):
        if not line.startswith("# ") or ":" not in line or line.startswith(CELL_MARK):
            break
        key, _, value = line[2:].partition(":")
        key = key.strip()
        if key not in _KEYS:
            break  # an ordinary comment ends the header
        if key in fields:
            raise CorpusError(f"{path}:{n + 1}: field {key!r} appears twice; keep one")
        fields[key] = value.strip()
    else:
        n = len(lines)
    return fields, n


def _check(path: Path, f: dict[str, str]) -> None:
    for key in _REQUIRED:
        if not f.get(key):
            raise CorpusError(f"{path}: header field {key!r} is missing; add a line '# {key}: ...'")
    choices = {"category": tuple(CATEGORIES), "style": STYLES, "needs": NEEDS}
    for key, allowed in choices.items():
        if f[key] not in allowed:
            raise CorpusError(f"{path}: field {key!r} is {f[key]!r}; use one of {', '.join(allowed)}")
    if path.parent.name != f["category"]:
        raise CorpusError(f"{path}: category {f['category']!r} but the file is in {path.parent.name!r}/; "
                          "move it to the folder of its category")
    if not f.get("figures", "0").isdigit():
        raise CorpusError(f"{path}: field 'figures' is {f['figures']!r}; write a whole number")
    if "exception" in f:
        kind, _, why = f["exception"].partition(":")
        if kind.strip() not in EXCEPTION_KINDS or not why.strip():
            raise CorpusError(f"{path}: field 'exception' is {f['exception']!r}; write "
                              f"'<{'|'.join(EXCEPTION_KINDS)}>: <why it needs real access>'")


def parse_program(path: Path) -> Program:
    """Read one corpus file; raises :class:`CorpusError` naming the file and field when it is malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields, start = _header(path, lines)
    _check(path, fields)
    cells: list[list[str]] = [[]]
    for line in lines[start:]:
        if line.strip() == CELL_MARK:
            cells.append([])
        else:
            cells[-1].append(line)
    code = tuple("\n".join(c).strip() + "\n" for c in cells if "".join(c).strip())
    if not code:
        raise CorpusError(f"{path}: no code after the header")
    for i, cell in enumerate(code):
        try:
            compile(cell, f"{path} cell {i + 1}", "exec")
        except SyntaxError as exc:
            raise CorpusError(f"{path}: cell {i + 1} is not valid Python ({exc.msg}, line {exc.lineno})") from None
    return Program(name=f"{path.parent.name}/{path.stem}", category=fields["category"], style=fields["style"],
                   needs=fields["needs"], cells=code, expect=fields.get("expect", ""),
                   figures=int(fields.get("figures", "0")), exception=fields.get("exception", ""))


def load_corpus(root: Path = CORPUS) -> list[Program]:
    """Every program under ``root`` (``<category>/<name>.py``), sorted by name."""
    paths = sorted(Path(root).glob("*/*.py"))
    if not paths:
        raise CorpusError(f"{root}: no programs (expected <category>/<name>.py files)")
    return [parse_program(p) for p in paths]
