import math

import pytest

from pyvision_envs.eval import EpisodeRecord, summarize
from pyvision_envs.types import EndReason, RewardTerms
from trainers.compare import compare, mcnemar_exact, render_table, wilson, write_plots


def report(correct, tools):
    """Records of one evaluation: episode i has seed 100 + i."""
    return [EpisodeRecord(index=i, seed=100 + i, task_id=f"t{i}", family="f", expected="a", answer="a" if c else "b",
                          correct=bool(c), reward=float(c), terms=RewardTerms(accuracy=float(c)),
                          end_reason=EndReason.ANSWERED, turns=1 + (t > 0), tool_calls=t, tool_errors=0,
                          images_shown=0, visual_tokens=0, seconds=0.0)
            for i, (c, t) in enumerate(zip(correct, tools, strict=True))]


def test_wilson_interval_by_hand():
    lo, hi = wilson(50, 100)
    assert (round(lo, 3), round(hi, 3)) == (0.404, 0.596)
    # k = 0: centre = half-width = (z^2 / 2n) / (1 + z^2 / n)
    z2 = 1.959964**2
    assert wilson(0, 10) == (0.0, pytest.approx(2 * (z2 / 20) / (1 + z2 / 10)))
    assert wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_by_hand():
    assert mcnemar_exact(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 4096)  # two-sided binomial tail, n = 12
    assert mcnemar_exact(2, 1) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 20) == pytest.approx(2 / 2**20)


def test_paired_comparison_by_hand():
    a, b = report([1, 0, 0, 1], [0, 0, 1, 0]), report([1, 1, 1, 0], [1, 1, 1, 2])
    s = compare(a, b)
    assert s["episodes"] == 4 and s["acc_a"] == 0.5 and s["acc_b"] == 0.75
    assert s["diff"] == 0.25 and s["b_right_a_wrong"] == 2 and s["a_right_b_wrong"] == 1
    se = math.sqrt((0.0625 + 0.5625 + 0.5625 + 1.5625) / 3 / 4)  # sample variance of the paired differences
    assert s["diff_se"] == pytest.approx(se)
    assert s["diff_ci95"] == pytest.approx((0.25 - 1.959964 * se, 0.25 + 1.959964 * se))
    assert s["tool_calls_a"] == 0.25 and s["tool_calls_b"] == 1.25 and s["mcnemar_p"] == 1.0


def test_episodes_are_paired_by_seed_not_by_position():
    a, b = report([1, 0], [0, 0]), report([0, 1], [1, 1])
    b.reverse()  # same seeds, other order; paired by position there would be no discordant pair
    s = compare(a, b)
    assert s["b_right_a_wrong"] == 1 and s["a_right_b_wrong"] == 1 and s["diff"] == 0


def test_unpaired_evaluations_are_refused():
    a, b = report([1, 0], [0, 0]), report([1, 0, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="same"):
        compare(a, b)


def test_table_and_plots(tmp_path):
    a, b = report([1, 0, 0, 1], [0, 0, 1, 0]), report([1, 1, 1, 0], [1, 1, 1, 2])
    s = compare(a, b)
    sa, sb = summarize(a, "PyVision/VisualSearch-Easy-v0", "sft", 100), summarize(b, "PyVision/VisualSearch-Easy-v0",
                                                                                "rl", 100)
    table = render_table({"env_id": "PyVision/VisualSearch-Easy-v0", "temperature": 0.6, "max_turns": 3},
                         sa, sb, s, {"sft": 1.0, "grpo": 2.5}, 3.5)
    assert "| SFT | 0.500 |" in table and "| RL (GRPO) | 0.750 |" in table and "+0.250" in table
    assert "seeds 100.." in table and "| **total** | **3.5** |" in table
    paths = write_plots(tmp_path, [2.0, 1.0, 0.5], sa, sb, s)
    assert [p.name for p in paths] == ["heldout.png", "sft_loss.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
