"""Compare two policies evaluated on the same held-out episodes: intervals, a paired test, a table and plots.

Both evaluations are lists of :class:`pyvision_envs.eval.EpisodeRecord` on the same seeds (for instance from
``trainers.evaluate.evaluate_policy``), so the episode of a seed is the same task in both and the comparison is
paired::

    stats = compare(sft_records, rl_records)
    stats["diff"], stats["diff_ci95"], stats["mcnemar_p"]

* accuracy of each policy with a 95% Wilson score interval;
* the paired difference of accuracies (B - A) with a 95% normal interval from the per-episode differences;
* McNemar's exact test on the discordant episodes (B right and A wrong vs. A right and B wrong), two-sided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyvision_envs.eval import EpisodeRecord, EvalSummary

Z95 = 1.959964


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``.

    >>> [round(x, 3) for x in wilson(50, 100)]
    [0.404, 0.596]
    """
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: ``b`` and ``c`` are the two kinds of discordant pairs.

    >>> round(mcnemar_exact(10, 2), 4)
    0.0386
    >>> mcnemar_exact(0, 0)
    1.0
    """
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(a: Sequence[EpisodeRecord], b: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """Paired comparison of two evaluations on the same seeds (``b`` minus ``a``).

    Raises:
        ValueError: The two evaluations did not play the same episode seeds.
    """
    ea, eb = {r.seed: r for r in a}, {r.seed: r for r in b}
    if set(ea) != set(eb) or not ea:
        raise ValueError("the two evaluations must play the same (non-empty) set of episode seeds; evaluate "
                         "both policies with the same seeds")
    seeds = sorted(ea)
    ca = [int(ea[s].correct) for s in seeds]
    cb = [int(eb[s].correct) for s in seeds]
    n = len(seeds)
    d = [y - x for x, y in zip(ca, cb, strict=True)]
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / max(n - 1, 1)
    se = math.sqrt(var / n)
    better = sum(1 for x, y in zip(ca, cb, strict=True) if y > x)
    worse = sum(1 for x, y in zip(ca, cb, strict=True) if x > y)
    return {
        "episodes": n, "acc_a": sum(ca) / n, "acc_b": sum(cb) / n,
        "acc_a_ci95": wilson(sum(ca), n), "acc_b_ci95": wilson(sum(cb), n),
        "diff": mean, "diff_se": se, "diff_ci95": (mean - Z95 * se, mean + Z95 * se),
        "b_right_a_wrong": better, "a_right_b_wrong": worse, "mcnemar_p": mcnemar_exact(better, worse),
        "first_seed": seeds[0],
        "tool_calls_a": sum(ea[s].tool_calls for s in seeds) / n,
        "tool_calls_b": sum(eb[s].tool_calls for s in seeds) / n,
    }


def render_table(job: Mapping[str, Any], a: EvalSummary, b: EvalSummary, stats: Mapping[str, Any],
                 phases: Mapping[str, float], total: float, names: Sequence[str] = ("SFT", "RL (GRPO)")) -> str:
    """The Markdown report: held-out table, the paired comparison and the phase timings."""
    n = stats["episodes"]
    rows = [
        f"Held-out: {n} episodes of {job.get('env_id')} (seeds {stats['first_seed']}..), "
        f"temperature {job.get('temperature')}, max {job.get('max_turns')} turns, the same episodes for both.",
        "",
        "| policy | accuracy | 95% CI | tool calls / episode | turns / episode | reward |",
        "|---|---|---|---|---|---|",
    ]
    for name, rep, ci in ((names[0], a, stats["acc_a_ci95"]), (names[1], b, stats["acc_b_ci95"])):
        rows.append(f"| {name} | {rep.accuracy:.3f} | [{ci[0]:.3f}, {ci[1]:.3f}] | {rep.mean_tool_calls:.2f} | "
                    f"{rep.mean_turns:.2f} | {rep.mean_reward:.3f} |")
    lo, hi = stats["diff_ci95"]
    rows += [
        "",
        f"Paired difference {names[1]} - {names[0]}: {stats['diff']:+.3f} (95% CI [{lo:+.3f}, {hi:+.3f}]); "
        f"{names[1]} right where {names[0]} was wrong on {stats['b_right_a_wrong']} episodes, the reverse on "
        f"{stats['a_right_b_wrong']}; McNemar exact p = {stats['mcnemar_p']:.2g}.",
        "",
        "| phase | seconds |", "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in phases.items()],
        f"| **total** | **{total:.1f}** |",
    ]
    return "\n".join(rows)


def write_plots(out: str | Path, sft_losses: Sequence[float], a: EvalSummary, b: EvalSummary,
                stats: Mapping[str, Any], names: Sequence[str] = ("SFT", "RL (GRPO)")) -> list[Path]:
    """``heldout.png`` (accuracy with 95% intervals, tool calls per episode) and ``sft_loss.png``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    accs = [stats["acc_a"], stats["acc_b"]]
    cis = [stats["acc_a_ci95"], stats["acc_b_ci95"]]
    err = [[p - ci[0] for p, ci in zip(accs, cis, strict=True)], [ci[1] - p for p, ci in zip(accs, cis, strict=True)]]
    ax1.bar(names, accs, yerr=err, capsize=6, color=["#8c8c8c", "#2f7ed8"])
    ax1.set(ylim=(0, 1), ylabel="held-out accuracy", title=f"accuracy ({stats['episodes']} episodes, 95% CI)")
    ax2.bar(names, [a.mean_tool_calls, b.mean_tool_calls], color=["#8c8c8c", "#2f7ed8"])
    ax2.set(ylabel="tool calls per episode", title="tool calls per episode")
    fig.tight_layout()
    paths = [out / "heldout.png"]
    fig.savefig(paths[0])
    if sft_losses:
        fig = Figure(figsize=(6, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(range(1, len(sft_losses) + 1), sft_losses)
        ax.set(yscale="log", xlabel="SFT step", ylabel="assistant-token loss", title="SFT cold start")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        paths.append(out / "sft_loss.png")
        fig.savefig(paths[1])
    return paths
