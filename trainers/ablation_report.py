"""The ablation grid's results: counts per evaluation, the table (markdown and CSV) and per-step curves.

An evaluation (a list of :class:`pyvision_envs.eval.EpisodeRecord`) becomes :class:`EvalCounts`; counts of the
seeds of one variant add up, so a variant's accuracy at a phase (start, middle, end) is pooled over its seeds
with a 95% Wilson interval, and the per-seed accuracies are listed beside it (the interval treats episodes as
independent; the spread over seeds shows the training variance it leaves out). Tool use is attempted calls
(successful and failed) per episode, the share of episodes without a call, and failed calls over attempted ones.
The curves are per training step, from each run's ``metrics.jsonl``: the mean over seeds with a band from the
lowest to the highest seed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pyvision_envs.eval import EpisodeRecord
from trainers.compare import wilson
from trainers.metrics import read_metrics

PHASES = ("start", "mid", "end")
CURVES = {"rollout/accuracy": "training accuracy", "tools/calls_per_episode": "tool calls per episode",
          "tools/zero_call_share": "share of episodes without a tool call", "tools/error_rate": "tool error rate"}
COLUMNS = ("variant", "phase", "episodes", "accuracy", "ci_low", "ci_high", "seed_accuracies", "tool_calls",
           "zero_call_share", "tool_error_rate")


@dataclass(frozen=True)
class EvalCounts:
    """Counts of one held-out evaluation; ``+`` pools two (seeds of one variant)."""

    episodes: int = 0
    correct: int = 0
    calls: int = 0
    errors: int = 0
    zero_call: int = 0

    @classmethod
    def of(cls, records: Sequence[EpisodeRecord]) -> EvalCounts:
        """Count an evaluation's episodes."""
        return cls(len(records), sum(r.correct for r in records), sum(r.tool_calls + r.tool_errors for r in records),
                   sum(r.tool_errors for r in records), sum(r.tool_calls + r.tool_errors == 0 for r in records))

    def __add__(self, other: EvalCounts) -> EvalCounts:
        return EvalCounts(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values(), strict=True)))

    @property
    def accuracy(self) -> float:
        """Share of correct episodes."""
        return self.correct / self.episodes if self.episodes else 0.0


def table_rows(results: Mapping[str, Mapping[int, Mapping[str, EvalCounts]]]) -> list[dict[str, Any]]:
    """One row per variant and phase: ``results[variant][seed][phase]`` pooled over seeds."""
    rows = []
    for variant, seeds in results.items():
        for phase in PHASES:
            per_seed = [seeds[s][phase] for s in sorted(seeds) if phase in seeds[s]]
            if not per_seed:
                continue
            total = sum(per_seed, EvalCounts())
            lo, hi = wilson(total.correct, total.episodes)
            rows.append({"variant": variant, "phase": phase, "episodes": total.episodes,
                         "accuracy": round(total.accuracy, 3), "ci_low": round(lo, 3), "ci_high": round(hi, 3),
                         "seed_accuracies": " ".join(f"{c.accuracy:.2f}" for c in per_seed),
                         "tool_calls": round(total.calls / max(total.episodes, 1), 2),
                         "zero_call_share": round(total.zero_call / max(total.episodes, 1), 3),
                         "tool_error_rate": round(total.errors / total.calls, 3) if total.calls else 0.0})
    return rows


def render_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The table as markdown."""
    head = ("| variant | phase | episodes | accuracy | 95% CI (Wilson, pooled) | per seed | tool calls / ep. | "
            "no-call share | tool error rate |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['phase']} | {r['episodes']} | {r['accuracy']:.3f} | "
                     f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {r['seed_accuracies']} | {r['tool_calls']:.2f} | "
                     f"{r['zero_call_share']:.3f} | {r['tool_error_rate']:.3f} |")
    return "\n".join(lines)


def write_csv(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """The table as CSV (``COLUMNS``)."""
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return p


def _series(path: Path, key: str) -> dict[int, float]:
    return {r["step"]: float(r[key]) for r in read_metrics(path) if isinstance(r.get(key), (int, float))}


def plot_curves(runs: Mapping[str, Mapping[int, Path]], out: str | Path) -> Path:
    """Per-step curves (``CURVES``), one line per variant (mean over seeds) with a min-max seed band.

    Args:
        runs: ``runs[variant][seed]`` = that run's ``metrics.jsonl``.
        out: The PNG to write.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 8), dpi=100)
    FigureCanvasAgg(fig)
    for i, (key, title) in enumerate(CURVES.items()):
        ax = fig.add_subplot(2, 2, i + 1)
        for variant, seeds in runs.items():
            series = [_series(p, key) for p in seeds.values()]
            steps = sorted(set.intersection(*(set(s) for s in series))) if series else []
            if not steps:
                continue
            values = [[s[k] for s in series] for k in steps]
            mean = [sum(v) / len(v) for v in values]
            line, = ax.plot(steps, mean, label=variant)
            ax.fill_between(steps, [min(v) for v in values], [max(v) for v in values], alpha=0.2,
                            color=line.get_color())
        ax.set(title=title, xlabel="GRPO step")
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
