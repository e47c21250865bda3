"""The ablation table and curves from hand-made evaluations and metrics files."""

import csv

import pytest

from pyvision_envs.eval import EpisodeRecord
from pyvision_envs.types import EndReason, RewardTerms
from trainers.ablation_report import COLUMNS, EvalCounts, plot_curves, render_markdown, table_rows, write_csv
from trainers.compare import wilson
from trainers.metrics import MetricsLogger


def record(correct, calls, errors):
    return EpisodeRecord(index=0, seed=0, task_id="t", family="f", expected="A", answer="A" if correct else "B",
                         correct=correct, reward=float(correct), terms=RewardTerms(accuracy=float(correct)),
                         end_reason=EndReason.ANSWERED, turns=1 + calls + errors, tool_calls=calls,
                         tool_errors=errors, images_shown=0, visual_tokens=0, seconds=0.0)


def test_counts_pool_over_seeds_into_one_row_per_phase(tmp_path):
    a = EvalCounts.of([record(True, 1, 0), record(False, 0, 0), record(True, 1, 1), record(False, 0, 0)])
    assert a == EvalCounts(episodes=4, correct=2, calls=3, errors=1, zero_call=2)
    b = EvalCounts.of([record(True, 2, 0), record(True, 0, 0)])
    rows = table_rows({"tool-on/ofr": {0: {"start": a, "end": a}, 1: {"start": a, "end": b}}})
    assert [r["phase"] for r in rows] == ["start", "end"]  # no mid: that row is left out
    end = rows[1]
    lo, hi = wilson(4, 6)
    assert end["episodes"] == 6 and end["accuracy"] == round(4 / 6, 3)
    assert (end["ci_low"], end["ci_high"]) == (round(lo, 3), round(hi, 3))
    assert end["seed_accuracies"] == "0.50 1.00"
    assert end["tool_calls"] == round(5 / 6, 2) and end["zero_call_share"] == round(3 / 6, 3)
    assert end["tool_error_rate"] == pytest.approx(1 / 5, abs=1e-3)
    md = render_markdown(rows)
    assert md.count("\n") == 3 and "| tool-on/ofr | end | 6 | 0.667 |" in md
    with open(write_csv(rows, tmp_path / "t.csv"), newline="") as fh:
        got = list(csv.DictReader(fh))
    assert tuple(got[0]) == COLUMNS and got[1]["seed_accuracies"] == "0.50 1.00"


def test_curves_draw_every_variant_with_a_seed_band(tmp_path):
    runs = {}
    for variant, slope in (("tool-on/ofr", 0.1), ("tool-off/ofr", -0.1)):
        for seed in (0, 1):
            out = tmp_path / variant.replace("/", "_") / str(seed)
            with MetricsLogger(out, tensorboard=False) as log:
                for step in range(1, 5):
                    log.log(step, {"rollout/accuracy": 0.5, "tools/calls_per_episode": 1 + slope * step + seed * 0.1,
                                   "tools/zero_call_share": 0.2, "tools/error_rate": 0.2})
            runs.setdefault(variant, {})[seed] = out / "metrics.jsonl"
    path = plot_curves(runs, tmp_path / "curves.png")
    assert path.stat().st_size > 20_000
