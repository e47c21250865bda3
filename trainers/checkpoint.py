"""Atomic training checkpoints that resume exactly: weights, optimizer, scheduler, RNG states, data position.

Layout under a run's checkpoint root::

    step-00000010/
        model.safetensors   the model's state_dict (tied weights stored once, via safetensors.save_model)
        optimizer.pt        optimizer.state_dict()
        scheduler.pt        scheduler.state_dict()
        rng.pt              Python, NumPy and torch (CPU and every CUDA device) generator states
        trainer_state.pt    ``extra``: anything ``torch.load(weights_only=True)`` reads back (tensors, numbers,
                            strings, lists, dicts), e.g. private ``torch.Generator`` states
        state.json          step, data position (JSON) and the file list; written last

A checkpoint is written into ``.tmp-step-*`` next to its final place, every file and the directory are fsynced,
and only then is it renamed to ``step-*``: a crash mid-save leaves a ``.tmp-*`` directory that readers ignore and the
next save removes, never a half checkpoint under a real name. One process writes (the main process under
accelerate); with several processes, pass each rank's own RNG states through ``extra`` if they must resume too.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_model, save_model

PREFIX = "step-"
_NAME = re.compile(r"^step-(\d+)$")
_FORMAT = 1


@dataclass(frozen=True)
class CheckpointState:
    """What ``load_checkpoint`` hands back besides the restored objects."""

    path: Path
    step: int
    data_state: dict[str, Any] = field(default_factory=dict)
    extra: Any = None


def rng_state() -> dict[str, Any]:
    """Snapshot of the global Python, NumPy and torch generators, in a form ``torch.load`` reads safely."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss),
                  float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators captured by ``rng_state``."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_checkpoints(root: str | Path) -> list[Path]:
    """Complete checkpoints under ``root``, oldest step first (``.tmp-*`` leftovers are not listed)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(root: str | Path) -> Path | None:
    """The highest-step complete checkpoint under ``root``, or None when there is none."""
    found = list_checkpoints(root)
    return found[-1] if found else None


def _write_files(tmp: Path, step: int, model: torch.nn.Module, optimizer: Any, scheduler: Any,
                 data_state: dict[str, Any], extra: Any) -> None:
    save_model(model, str(tmp / "model.safetensors"))
    files = ["model.safetensors", "rng.pt"]
    torch.save(rng_state(), tmp / "rng.pt")
    for name, obj in (("optimizer.pt", optimizer), ("scheduler.pt", scheduler)):
        if obj is not None:
            torch.save(obj.state_dict(), tmp / name)
            files.append(name)
    if extra is not None:
        torch.save(extra, tmp / "trainer_state.pt")
        files.append("trainer_state.pt")
    try:
        state_json = json.dumps({"format": _FORMAT, "step": step, "data_state": data_state, "files": files},
                                indent=2)
    except TypeError as exc:
        raise TypeError(f"data_state must be JSON-serializable (ints, strings, lists, dicts): {exc}") from None
    (tmp / "state.json").write_text(state_json, encoding="utf-8")
    for name in [*files, "state.json"]:
        _fsync_file(tmp / name)
    _fsync_dir(tmp)


def save_checkpoint(root: str | Path, step: int, model: torch.nn.Module, optimizer: Any = None,
                    scheduler: Any = None, *, data_state: dict[str, Any] | None = None, extra: Any = None,
                    keep_last: int = 2) -> Path:
    """Write ``root/step-NNNNNNNN`` atomically and prune all but the ``keep_last`` most recent checkpoints.

    Args:
        root: The run's checkpoint directory (created if missing).
        step: Completed training steps; names the checkpoint. Saving the same step again replaces it.
        model: The (unwrapped) model; its full state_dict is saved.
        optimizer: Optional optimizer (anything with ``state_dict``/``load_state_dict``).
        scheduler: Optional learning-rate scheduler.
        data_state: JSON-serializable data position (e.g. prompts consumed, epoch, sampler seed).
        extra: Anything else to restore, readable by ``torch.load(weights_only=True)``.
        keep_last: Checkpoints to keep, this one included (>= 1).

    Returns:
        The checkpoint's directory.
    """
    if keep_last < 1:
        raise ValueError(f"keep_last={keep_last} must be >= 1: the checkpoint just written is always kept")
    if step < 0:
        raise ValueError(f"step={step} must be >= 0")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".tmp-*"):  # a crashed earlier save; single writer, so nobody else owns it
        shutil.rmtree(stale, ignore_errors=True)
    final = root / f"{PREFIX}{step:08d}"
    tmp = root / f".tmp-{final.name}-{os.getpid()}"
    tmp.mkdir()
    try:
        _write_files(tmp, step, model, optimizer, scheduler, data_state or {}, extra)
        old = None
        if final.exists():
            old = root / f".tmp-old-{final.name}-{os.getpid()}"
            os.rename(final, old)
        os.rename(tmp, final)
        _fsync_dir(root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for path in list_checkpoints(root)[:-keep_last]:
        if path != final:
            shutil.rmtree(path, ignore_errors=True)
    return final


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: Any = None, scheduler: Any = None,
                    *, restore_rng: bool = True) -> CheckpointState:
    """Restore a checkpoint into the given objects (in place) and return its step and data position.

    Args:
        path: A checkpoint directory (``latest_checkpoint(root)``).
        model: A model of the same architecture; loaded strictly.
        optimizer: Optimizer over the same parameters, in the same order, or None to skip.
        scheduler: Scheduler to restore, or None to skip.
        restore_rng: Also restore the global Python, NumPy and torch generators (needed for exact resume).

    Raises:
        FileNotFoundError: ``path`` is not a complete checkpoint, or a file the caller asks for is missing.
        RuntimeError: The weights do not fit ``model`` (the message names the checkpoint).
    """
    path = Path(path)
    meta_path = path / "state.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} is not a complete checkpoint (no state.json); "
                                "pass a step-* directory such as latest_checkpoint(root) returns")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for name, obj in (("optimizer.pt", optimizer), ("scheduler.pt", scheduler)):
        if obj is not None and name not in meta["files"]:
            raise FileNotFoundError(f"{path} has no {name}: it was saved without one; pass None for it")
    try:
        load_model(model, str(path / "model.safetensors"), strict=True)
    except RuntimeError as exc:
        raise RuntimeError(f"{path}/model.safetensors does not fit this model: {exc}") from None
    if optimizer is not None:
        optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True))
    if scheduler is not None:
        scheduler.load_state_dict(torch.load(path / "scheduler.pt", map_location="cpu", weights_only=True))
    extra = None
    if "trainer_state.pt" in meta["files"]:
        extra = torch.load(path / "trainer_state.pt", map_location="cpu", weights_only=True)
    if restore_rng:
        set_rng_state(torch.load(path / "rng.pt", map_location="cpu", weights_only=True))
    return CheckpointState(path=path, step=int(meta["step"]), data_state=meta["data_state"], extra=extra)
