"""Training metrics: one JSON line per logged step, the same scalars in TensorBoard, PNG plots at the end.

Key names are free-form (``rollout/reward``, ``ofr/broken_trajectories``, ``loss/clip_frac`` ...). The plots pick
their series by the key's last ``/`` component with a leading ``gen_``/``mean_`` and a trailing ``_mean`` removed,
so ``rollout/accuracy`` and ``eval/accuracy`` land on the same accuracy plot:

========================  =====================================
plot file                 series whose normalized name is
========================  =====================================
``reward.png``            ``reward``
``accuracy.png``          ``accuracy``
``tool_calls.png``        ``tool_calls`` (per episode)
``response_len.png``      ``response_len`` (tokens per episode)
========================  =====================================
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PLOTS = {
    "reward": "Reward",
    "accuracy": "Accuracy",
    "tool_calls": "Tool calls per episode",
    "response_len": "Response length (tokens)",
}


def _scalar(value: Any) -> float | int | bool | str | None:
    """A JSON-safe scalar: tensors and NumPy numbers unwrapped, NaN and inf as None."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, bool) or isinstance(value, (int, str)) or value is None:
        return value
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"metric value {value!r} is not a number or string") from None
    return value if math.isfinite(value) else None


def read_metrics(jsonl_path: str | Path) -> list[dict[str, Any]]:
    """Read a metrics JSONL file (blank lines skipped); a malformed line raises naming the file and line."""
    path = Path(jsonl_path)
    records = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{lineno}: not a JSON object ({exc.msg}); fix or delete that line") from None
        if not isinstance(record, dict) or "step" not in record:
            raise ValueError(f"{path}:{lineno}: expected an object with a 'step' key, got {line[:80]!r}")
        records.append(record)
    return records


class MetricsLogger:
    """Append metrics to ``output_dir/metrics.jsonl`` and to TensorBoard under ``output_dir/tensorboard``.

    Args:
        output_dir: Run directory (created if missing).
        tensorboard: Also write TensorBoard event files.
        resume_step: When resuming from a checkpoint at this step, keep the JSONL lines up to it, drop later
            ones (written after the checkpoint by the interrupted run) and append; TensorBoard purges them too.
            None starts a fresh file.
        enabled: False gives a logger that writes nothing (non-main processes under accelerate).
    """

    def __init__(self, output_dir: str | Path, *, tensorboard: bool = True, resume_step: int | None = None,
                 enabled: bool = True) -> None:
        self.enabled = enabled
        self.path = Path(output_dir) / "metrics.jsonl"
        self._writer = None
        self._start = time.time()
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is not None and self.path.exists():
            kept = [r for r in read_metrics(self.path) if r["step"] <= resume_step]
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
            os.replace(tmp, self.path)
        self._fh = open(self.path, "a" if resume_step is not None else "w", encoding="utf-8")
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # lazy: pulls in tensorboard

            purge = resume_step + 1 if resume_step is not None else None
            self._writer = SummaryWriter(log_dir=str(Path(output_dir) / "tensorboard"), purge_step=purge)

    def log(self, step: int, metrics: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record: ``{"step", "time", **metrics}``; returns it. Strings go to the JSONL only."""
        record: dict[str, Any] = {"step": int(step), "time": round(time.time() - self._start, 3)}
        for key, value in metrics.items():
            if key in ("step", "time"):
                raise ValueError(f"metric name {key!r} is reserved; rename it")
            record[key] = _scalar(value)
        if not self.enabled:
            return record
        self._fh.write(json.dumps(record, allow_nan=False) + "\n")
        self._fh.flush()
        if self._writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and value is not None:
                    self._writer.add_scalar(key, float(value), int(step))
            self._writer.flush()
        return record

    def close(self) -> None:
        """Flush and close the files (idempotent)."""
        if not self.enabled:
            return
        if not self._fh.closed:
            self._fh.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def plot_name(key: str) -> str:
    """Which plot a metric key feeds (``PLOTS`` keys), or the normalized name when it feeds none."""
    name = key.rsplit("/", 1)[-1]
    for prefix in ("gen_", "mean_"):
        name = name.removeprefix(prefix)
    return name.removesuffix("_mean")


def plot_metrics(jsonl_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Draw reward, accuracy, tool calls per episode and response length over steps as PNG files.

    Each plot shows every series that maps to it (``plot_name``), e.g. training and held-out accuracy together.
    A plot with no data is not written. Uses matplotlib's Agg canvas directly (no pyplot global state).

    Returns:
        The PNG paths written, in ``PLOTS`` order.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    series: dict[str, dict[str, tuple[list[int], list[float]]]] = {name: {} for name in PLOTS}
    for record in read_metrics(jsonl_path):
        for key, value in record.items():
            name = plot_name(key)
            if key in ("step", "time") or name not in PLOTS or isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                xs, ys = series[name].setdefault(key, ([], []))
                xs.append(record["step"])
                ys.append(float(value))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, title in PLOTS.items():
        if not series[name]:
            continue
        fig = Figure(figsize=(6, 4), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for key, (xs, ys) in sorted(series[name].items()):
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=key)
        ax.set(title=title, xlabel="step", ylabel=title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path)
        written.append(path)
    return written
