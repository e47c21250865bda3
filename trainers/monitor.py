"""The interaction-collapse monitor: tool use per GRPO step, a warning when it falls, and its plot.

The paper observes that without the accumulative tool reward, multi-turn interaction shrinks during RL: the policy
learns to answer at once. Accuracy can hide this for a while, so every step logs how the policy interacts, over
every trajectory generated in the step (before any filter)::

    tools/calls_per_episode   tool calls attempted per episode (successful and failed)
    tools/zero_call_share     share of episodes without any tool call
    tools/error_rate          failed calls / attempted calls (0 when nothing was attempted)
    tools/turns_per_episode   policy turns per episode

:class:`CollapseDetector` watches ``tools/calls_per_episode``: it averages the last ``window`` steps and warns once
when that average has fallen more than ``drop`` (a fraction) below the highest such average seen so far in the
run. Averaging over a window keeps one noisy step from firing it; comparing with the peak catches a slow slide as
well as a sudden one. The step it fires logs ``monitor/collapse_warning: 1``; every step logs
``monitor/tool_use_drop`` (the current fall from the peak). :func:`plot_tool_use` draws the four series and marks
the warning (``plots/tool_use.png``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyvision_envs.types import Trajectory
from trainers.settings import Settings

TOOL_KEYS = ("tools/calls_per_episode", "tools/zero_call_share", "tools/error_rate", "tools/turns_per_episode")
WATCHED = "tools/calls_per_episode"
WARNING_KEY = "monitor/collapse_warning"
DROP_KEY = "monitor/tool_use_drop"


def tool_metrics(trajectories: Sequence[Trajectory]) -> dict[str, float]:
    """The ``tools/*`` metrics of one step's trajectories (all zero for none)."""
    n = len(trajectories)
    attempted = [t.tool_calls + t.tool_errors for t in trajectories]
    calls = sum(attempted)
    return {
        "tools/calls_per_episode": calls / n if n else 0.0,
        "tools/zero_call_share": sum(a == 0 for a in attempted) / n if n else 0.0,
        "tools/error_rate": sum(t.tool_errors for t in trajectories) / calls if calls else 0.0,
        "tools/turns_per_episode": sum(t.turns for t in trajectories) / n if n else 0.0,
    }


@dataclass(frozen=True)
class MonitorSettings(Settings):
    """When the interaction-collapse warning fires (``GRPOConfig.monitor``); declared and validated here only."""

    window: int = 5
    """Steps averaged: the warning compares the mean of the last ``window`` steps' tool calls per episode with
    the highest such mean seen earlier in the run."""
    drop: float = 0.5
    """Warn when that mean has fallen by more than this fraction of the peak (0.5: below half of it)."""
    enabled: bool = True
    """Watch for the collapse (the ``tools/*`` metrics are logged either way)."""

    def validate(self) -> None:
        """A window of at least one step and a drop strictly between 0 and 1."""
        self._positive("window")
        if not 0 < self.drop < 1:
            self._fail("drop", "must be a fraction strictly between 0 and 1, e.g. 0.5 for 'fell by half'")


class CollapseDetector:
    """Feed it each step's tool calls per episode; it says when tool use has collapsed (once per run)."""

    def __init__(self, settings: MonitorSettings | None = None) -> None:
        self.settings = settings or MonitorSettings()
        self.values: list[float] = []
        self.peak = 0.0
        self.fired_at: int | None = None

    def update(self, step: int, value: float) -> tuple[dict[str, float], str | None]:
        """Add one step; returns the ``monitor/*`` metrics of the step and the warning text when it fires now."""
        s = self.settings
        self.values.append(float(value))
        if len(self.values) < s.window:
            return {}, None
        level = sum(self.values[-s.window:]) / s.window
        self.peak = max(self.peak, level)
        drop = 1.0 - level / self.peak if self.peak > 0 else 0.0
        metrics = {DROP_KEY: drop}
        if not s.enabled or self.fired_at is not None or drop <= s.drop:
            return metrics, None
        self.fired_at = step
        metrics[WARNING_KEY] = 1.0
        return metrics, (f"interaction collapse at step {step}: tool calls per episode averaged {level:.2f} over "
                         f"the last {s.window} steps, {drop:.0%} below the run's peak of {self.peak:.2f} (more "
                         f"than monitor.drop={s.drop:g}). The policy answers without looking more often (the paper "
                         "sees this without the tool reward); see plots/tool_use.png.")

    def replay(self, steps_values: Iterable[tuple[int, float]]) -> None:
        """Rebuild the state from logged steps (on resume), without warning again."""
        for step, value in steps_values:
            self.update(step, value)


def plot_tool_use(records: Sequence[dict], out_dir: str | Path) -> Path | None:
    """Draw the four ``tools/*`` series per step (one panel each) and mark a collapse warning; None without data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [r for r in records if r.get(WATCHED) is not None]
    if not rows:
        return None
    fired = [r["step"] for r in records if r.get(WARNING_KEY)]
    fig = Figure(figsize=(9, 6), dpi=100)
    FigureCanvasAgg(fig)
    for i, key in enumerate(TOOL_KEYS):
        ax = fig.add_subplot(2, 2, i + 1)
        xs = [r["step"] for r in rows if r.get(key) is not None]
        ax.plot(xs, [r[key] for r in rows if r.get(key) is not None], marker="o" if len(xs) < 30 else None,
                markersize=3)
        for step in fired:
            ax.axvline(step, color="tab:red", linestyle="--", label="collapse warning")
        ax.set(title=key.split("/", 1)[1].replace("_", " "), xlabel="step")
        ax.grid(alpha=0.3)
        if fired and i == 0:
            ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tool_use.png"
    fig.savefig(path)
    return path
