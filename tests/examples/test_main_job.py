import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "main_job.py"
TINY_BUDGET = [
    "record.episodes=6", "sft.steps=3", "sft.batch_size=4",
    "grpo.steps=1", "grpo.batch.train_batch=2", "grpo.batch.gen_batch=2", "grpo.batch.group_size=2",
    "grpo.batch.max_rounds=1", "grpo.mini_batches=1", "eval.episodes=6", "rollout.max_new_tokens=48",
    "rollout.max_trajectory_tokens=1024",
]


def load_module():
    spec = importlib.util.spec_from_file_location("main_job", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main_job"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_header_gives_the_exact_command():
    doc = load_module().__doc__
    assert ".venv/bin/python examples/main_job.py" in doc and "--preset smollm2-135m" in doc


def test_overrides_and_config_validation(tmp_path):
    mj = load_module()
    job = mj.load_job(mj.DEFAULT_CONFIG, ["sft.steps=7", "grpo.lr=1e-4", "rollout.temperature=0.5",
                                          "eval.episodes=8", "grpo.batch.max_rounds=3"])
    assert job.sft["steps"] == 7 and job.rollout.temperature == 0.5 and job.eval.episodes == 8
    sft, grpo = mj.build_configs(job, tmp_path)
    assert sft.steps == 7 and sft.model == "tiny" and sft.data_path.endswith("cold_start.jsonl")
    assert grpo.model == str(tmp_path / "sft" / "final") and grpo.batch.mode == "ofr"
    assert grpo.batch.train_on_tool_reward and grpo.batch.max_rounds == 3 and grpo.batch.train_batch == 6
    assert grpo.lr == 1e-4
    assert grpo.rollout.temperature == 0.5 and grpo.eval_seed == job.eval.seed
    with pytest.raises(mj.ConfigError, match="unknown Job key 'sfft'.*Did you mean 'sft'"):
        mj.load_job(mj.DEFAULT_CONFIG, ["sfft.steps=3"])
    with pytest.raises(mj.ConfigError, match="job section grpo: unknown GRPOConfig key 'learning_rate'"):
        mj.build_configs(mj.load_job(mj.DEFAULT_CONFIG, ["grpo.learning_rate=1"]), tmp_path)
    with pytest.raises(mj.ConfigError, match="RecordPhase.episodes=0"):
        mj.load_job(mj.DEFAULT_CONFIG, ["record.episodes=0"])


def test_old_flat_keys_still_work_with_a_deprecation_warning(tmp_path):
    mj = load_module()
    with pytest.warns(DeprecationWarning, match="'temperature' is deprecated; write 'rollout.temperature'"):
        job = mj.load_job(mj.DEFAULT_CONFIG, ["temperature=0.3"])
    with pytest.warns(DeprecationWarning, match="'max_rounds' is deprecated; write 'batch.max_rounds'"):
        _, grpo = mj.build_configs(mj.load_job(mj.DEFAULT_CONFIG, ["grpo.max_rounds=5"]), tmp_path)
    assert job.rollout.temperature == 0.3 and grpo.batch.max_rounds == 5


def test_bad_override_is_an_error_before_any_work(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "job"), "grpo.batch.max_round=3"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and "Did you mean 'max_rounds'" in run.stderr and not (tmp_path / "job").exists()


@pytest.mark.slow
def test_main_job_runs_end_to_end_with_a_tiny_budget(tmp_path):
    out = tmp_path / "job"
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), *TINY_BUDGET], capture_output=True,
                         text=True, timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    for phase in ("[record]", "[sft]", "[eval SFT]", "[grpo]", "[eval RL]"):
        assert phase in run.stdout
    assert "| SFT |" in run.stdout and "| RL (GRPO) |" in run.stdout and "McNemar" in run.stdout
    assert "sft" in run.stderr and "GRPO" in run.stderr  # progress bars
    report = json.loads((out / "report.json").read_text())
    assert report["comparison"]["episodes"] == 6
    assert [e["seed"] for e in report["per_episode"]["sft"]] == [e["seed"] for e in report["per_episode"]["rl"]]
    assert set(report["phase_seconds"]) == {"record", "sft", "eval SFT", "grpo", "eval RL"}
    for png in ("plots/heldout.png", "plots/sft_loss.png", "grpo/plots/reward.png"):
        assert (out / png).stat().st_size > 1000
    assert (out / "sft" / "final" / "config.json").exists() and (out / "grpo" / "policy" / "config.json").exists()
    rows = [json.loads(x) for x in (out / "data" / "cold_start.jsonl").read_text().splitlines()]
    expert = [r for r in rows if r["agent"] == "short-expert"]
    guesses = [r for r in rows if r["agent"] == "guesser"]
    assert len(expert) + len(guesses) == len(rows) and len(guesses) == 6  # every guess is kept, right or wrong
    assert all(r["correct"] and r["tool_calls"] == 1 for r in expert) and len(expert) >= 5
    assert all(r["tool_calls"] == 0 and r["turns"] == 1 for r in guesses)
    assert sorted(r["seed"] for r in guesses) == list(range(6)) and report["data"]["guesser"]["kept"] == 6


def test_preset_switch_uses_the_same_config_with_its_preset_entry(tmp_path):
    mj = load_module()
    job = mj.load_job(mj.DEFAULT_CONFIG, ["sft.steps=3"], preset="smollm2-135m")
    sft, grpo = mj.build_configs(job, tmp_path)
    assert sft.model == "smollm2-135m" and sft.steps == 3  # the command line wins over the preset entry
    assert sft.lr == 1e-3 and grpo.lr == 1e-4 and not hasattr(job, "presets")
    assert grpo.batch.train_batch == 4 and grpo.batch.group_size == 8 and job.eval.episodes == 64  # merged deep
    assert sft.lora.r == grpo.lora.r == 16 and sft.balance_by == "agent" and grpo.rollout.kv_reuse
    assert job.env_kwargs == {"image_in_context": False, "prompt": "brief"} == sft.env_kwargs == grpo.env_kwargs
    # packed by padded size: 16 SmolLM2 trajectories in one forward/backward would need more than 24 GB
    assert sft.micro_batch_tokens == grpo.micro_batch_tokens == 2048
    tiny, _ = mj.build_configs(mj.load_job(mj.DEFAULT_CONFIG, []), tmp_path)
    assert tiny.model == "tiny" and tiny.lr == 5e-3
