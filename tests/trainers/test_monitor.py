"""The interaction-collapse monitor: tool-use metrics of hand-made trajectories, the detector on synthetic
series, its settings through the one override parser, and its plot."""

import pytest

from pyvision_envs.types import EndReason, RewardTerms, Trajectory
from trainers.config import ConfigError, load_config
from trainers.monitor import (
    DROP_KEY,
    WARNING_KEY,
    CollapseDetector,
    MonitorSettings,
    plot_tool_use,
    tool_metrics,
)


def traj(ok, failed, turns):
    return Trajectory("p", (1,), (1,), (0.0,), 0, 0.0, RewardTerms(), EndReason.ANSWERED, tool_calls=ok,
                      tool_errors=failed, turns=turns)


def run(series, **settings):
    det = CollapseDetector(MonitorSettings(**settings))
    out = [det.update(step, v) for step, v in enumerate(series, start=1)]
    return det, [m for m, _ in out], [w for _, w in out]


def test_tool_metrics_by_hand():
    m = tool_metrics([traj(2, 1, 4), traj(0, 0, 1), traj(0, 1, 2), traj(1, 0, 2)])
    assert m == {"tools/calls_per_episode": 5 / 4, "tools/zero_call_share": 1 / 4, "tools/error_rate": 2 / 5,
                 "tools/turns_per_episode": 9 / 4}
    assert tool_metrics([traj(0, 0, 1)])["tools/error_rate"] == 0.0  # nothing attempted: no error rate to divide
    assert set(tool_metrics([]).values()) == {0.0}


def test_detector_fires_once_when_a_window_mean_falls_below_the_peak():
    # level (window 3): 1.0, 1.0, 0.8, 0.53, 0.27, 0.1: the first below half of the peak is step 7
    det, metrics, warnings = run([1, 1, 1, 1, 0.4, 0.2, 0.2, 0.1, 0.0, 0.0], window=3, drop=0.5)
    assert [w is not None for w in warnings] == [False] * 6 + [True] + [False] * 3
    assert det.fired_at == 7 and "step 7" in warnings[6] and "monitor.drop=0.5" in warnings[6]
    assert [WARNING_KEY in m for m in metrics].count(True) == 1 and metrics[6][WARNING_KEY] == 1.0
    assert metrics[:2] == [{}, {}]  # nothing until a window is full
    assert metrics[6][DROP_KEY] == pytest.approx(1 - (0.2 + 0.2 + 0.4) / 3 / 1.0)


def test_detector_stays_quiet_on_noise_growth_and_small_drops():
    noisy = [1.0, 0.6, 1.2, 0.7, 1.1, 0.5, 1.3, 0.8, 1.0, 0.6]  # single bad steps: the window mean holds
    rising = [0.1 * k for k in range(10)]
    for series in (noisy, rising):
        assert run(series, window=3, drop=0.5)[0].fired_at is None
    assert run([1, 1, 1, 0.7, 0.7, 0.7], window=3, drop=0.5)[0].fired_at is None  # 30% < 50%
    assert run([1, 1, 1, 0.7, 0.7, 0.7], window=3, drop=0.25)[0].fired_at == 6
    assert run([0.0] * 8, window=2, drop=0.5)[0].fired_at is None  # never used the tool: nothing collapsed
    assert run([1, 1, 0, 0, 0], window=2, drop=0.5, enabled=False)[0].fired_at is None


def test_replay_restores_the_state_without_warning_again():
    det, _, warnings = run([1, 1, 0, 0], window=2, drop=0.5)
    assert det.fired_at == 4
    again = CollapseDetector(MonitorSettings(window=2, drop=0.5))
    again.replay(enumerate([1, 1, 0, 0], start=1))
    assert again.fired_at == 4 and again.update(5, 0.0)[1] is None


def test_settings_are_validated_and_reached_by_overrides():
    cfg = load_config(None, ["monitor.window=3", "monitor.drop=0.3"])
    assert cfg.monitor == MonitorSettings(window=3, drop=0.3)
    with pytest.raises(ConfigError, match=r"MonitorSettings.drop=1.5: must be a fraction"):
        load_config(None, ["monitor.drop=1.5"])
    with pytest.raises(ConfigError, match="MonitorSettings.window=0: must be >= 1"):
        load_config(None, ["monitor.window=0"])
    with pytest.raises(ConfigError, match="Did you mean 'window'"):
        load_config(None, ["monitor.windw=3"])


def test_plot_marks_the_warning(tmp_path):
    records = [{"step": s, "tools/calls_per_episode": v, "tools/zero_call_share": 1 - v, "tools/error_rate": 0.1,
                "tools/turns_per_episode": 1 + v} for s, v in enumerate([1, 1, 0.2, 0.1], start=1)]
    records[3][WARNING_KEY] = 1.0
    path = plot_tool_use(records, tmp_path)
    assert path == tmp_path / "tool_use.png" and path.stat().st_size > 10_000
    assert plot_tool_use([{"step": 1, "rollout/reward": 0.0}], tmp_path / "none") is None
