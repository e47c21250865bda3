import json

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from trainers.metrics import MetricsLogger, plot_metrics, plot_name, read_metrics


def strict_json(line):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(line, parse_constant=refuse)


def log_run(out, steps=5, **kw):
    with MetricsLogger(out, **kw) as logger:
        for step in range(1, steps + 1):
            logger.log(step, {
                "rollout/reward": torch.tensor(0.1 * step),
                "rollout/accuracy": np.float32(0.05 * step),
                "ofr/gen_tool_calls_mean": 1.0 + step,
                "rollout/response_len": 40 + step,
                "eval/accuracy": 0.5 if step == steps else float("nan"),
                "ofr/hit_max_rounds": step == 2,
                "mode": "ofr",
            })


def test_jsonl_is_valid_and_typed(tmp_path):
    log_run(tmp_path)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    records = [strict_json(line) for line in lines]
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["rollout/reward"] == pytest.approx(0.1)
    assert records[0]["eval/accuracy"] is None  # NaN is written as null, never as bare NaN
    assert records[4]["eval/accuracy"] == 0.5
    assert records[1]["ofr/hit_max_rounds"] is True and records[0]["mode"] == "ofr"
    assert all(r["time"] >= 0 for r in records)


def test_tensorboard_events_hold_the_scalars(tmp_path):
    log_run(tmp_path)
    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {"rollout/reward", "rollout/accuracy", "eval/accuracy"} <= set(tags)
    assert "mode" not in tags
    events = acc.Scalars("rollout/reward")
    assert [e.step for e in events] == [1, 2, 3, 4, 5]
    assert events[2].value == pytest.approx(0.3)
    assert [e.step for e in acc.Scalars("eval/accuracy")] == [5]  # NaN steps skipped


def test_resume_drops_records_after_the_checkpoint(tmp_path):
    log_run(tmp_path, steps=5)
    with MetricsLogger(tmp_path, resume_step=3, tensorboard=False) as logger:
        logger.log(4, {"rollout/reward": 9.0})
    steps = [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")]
    assert steps == [1, 2, 3, 4]
    assert read_metrics(tmp_path / "metrics.jsonl")[-1]["rollout/reward"] == 9.0


def test_fresh_logger_truncates(tmp_path):
    log_run(tmp_path, steps=3)
    with MetricsLogger(tmp_path, tensorboard=False) as logger:
        logger.log(1, {"x": 1})
    assert len(read_metrics(tmp_path / "metrics.jsonl")) == 1


def test_disabled_logger_writes_nothing(tmp_path):
    logger = MetricsLogger(tmp_path / "rank1", enabled=False)
    assert logger.log(1, {"x": torch.tensor(2.0)})["x"] == 2.0
    logger.close()
    assert not (tmp_path / "rank1").exists()


def test_bad_metric_values(tmp_path):
    with MetricsLogger(tmp_path, tensorboard=False) as logger:
        with pytest.raises(TypeError, match="not a number or string"):
            logger.log(1, {"x": object()})
        with pytest.raises(ValueError, match="reserved"):
            logger.log(1, {"step": 3})


def test_plots_are_png_files(tmp_path):
    log_run(tmp_path / "run")
    written = plot_metrics(tmp_path / "run" / "metrics.jsonl", tmp_path / "plots")
    assert [p.name for p in written] == ["reward.png", "accuracy.png", "tool_calls.png", "response_len.png"]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(p) as im:
            im.verify()
        with Image.open(p) as im:
            assert im.size == (600, 400)
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 10  # something was drawn


def test_plot_skips_missing_series_and_reports_bad_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1, "rollout/reward": 0.2}\n\n{"step": 2, "rollout/reward": 0.4}\n')
    assert [p.name for p in plot_metrics(path, tmp_path / "p")] == ["reward.png"]
    path.write_text('{"step": 1, "rollout/reward": 0.2}\n{"step": 2, "rollout/rew\n')
    with pytest.raises(ValueError, match=r"m.jsonl:2: not a JSON object"):
        plot_metrics(path, tmp_path / "p")
    path.write_text('{"reward": 1}\n')
    with pytest.raises(ValueError, match=r"m.jsonl:1: expected an object with a 'step' key"):
        read_metrics(path)


@pytest.mark.parametrize("key, name", [
    ("rollout/reward", "reward"), ("eval/accuracy", "accuracy"), ("ofr/gen_tool_calls_mean", "tool_calls"),
    ("response_len", "response_len"), ("loss/clip_frac", "clip_frac"), ("ofr/gen_accuracy", "accuracy"),
])
def test_plot_name(key, name):
    assert plot_name(key) == name
