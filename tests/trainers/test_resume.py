"""An interrupted GRPO run, resumed from its checkpoint, ends bitwise where an uninterrupted run ends.

Why bitwise: before every step the trainer seeds its generators from (seed, step, rank) and draws prompts as a pure
function of their index, so a step depends only on the weights, the optimizer state and the prompt position, which
the checkpoint stores exactly (safetensors weights, AdamW moments and step counts, scheduler, prompt positions).
"""

from __future__ import annotations

import copy

import pytest
import torch

from trainers.checkpoint import latest_checkpoint
from trainers.config import ConfigError, load_config
from trainers.grpo.trainer import GRPOTrainer
from trainers.metrics import read_metrics

FAST = ["env_id=PyVision/VisualSearch-Easy-v0", "batch.group_size=4", "batch.train_batch=2", "batch.gen_batch=2",
        "batch.max_rounds=3", "max_turns=3", "rollout.max_new_tokens=24", "rollout.max_trajectory_tokens=1024",
        "lr=3e-4", "eval_episodes=0",
        "progress=false", "steps=2", "save_every=1", "seed=5"]
VOLATILE = ("time", "time/rollout_s", "time/update_s", "throughput/gen_tokens_per_s")


class Interrupted(Exception):
    pass


class CrashingTrainer(GRPOTrainer):
    """Dies at the start of step ``crash_at`` (after the previous step's checkpoint was written)."""

    crash_at = 1

    def train_step(self, step):
        if step == self.crash_at:
            raise Interrupted(f"killed before step {step + 1}")
        return super().train_step(step)


def _cfg(out, *extra):
    return load_config(None, [*FAST, f"output_dir={out}", *extra])


def test_resume_matches_uninterrupted_run_bitwise(player, tmp_path):
    initial = {k: v.clone() for k, v in player.model.state_dict().items()}
    full = GRPOTrainer(_cfg(tmp_path / "full"), bundle=copy.deepcopy(player))
    full.train()

    crashed = CrashingTrainer(_cfg(tmp_path / "cut"), bundle=copy.deepcopy(player))
    with pytest.raises(Interrupted):
        crashed.train()
    crashed.engine.close()
    assert latest_checkpoint(tmp_path / "cut" / "checkpoints").name == "step-00000001"

    # a fresh trainer, as a new process would build it: initial weights, then the checkpoint
    resumed = GRPOTrainer(_cfg(tmp_path / "cut", "resume=true"), bundle=copy.deepcopy(player))
    result = resumed.train()
    assert result.steps == 2

    a, b = full.bundle.model.state_dict(), resumed.bundle.model.state_dict()
    assert any(not torch.equal(initial[k], a[k]) for k in a), "the run did not train"
    for k in a:
        assert torch.equal(a[k], b[k]), f"parameter {k} differs after resume"
    sa, sb = full.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    for i in sa:
        assert torch.equal(sa[i]["exp_avg"], sb[i]["exp_avg"]) and torch.equal(sa[i]["step"], sb[i]["step"])

    ra, rb = read_metrics(tmp_path / "full" / "metrics.jsonl"), read_metrics(tmp_path / "cut" / "metrics.jsonl")
    assert [r["step"] for r in ra] == [r["step"] for r in rb] == [1, 2]
    assert all(r["update/skipped"] == 0 for r in ra), "both steps must update for the comparison to mean much"
    for x, y in zip(ra, rb):
        assert {k: v for k, v in x.items() if k not in VOLATILE} == {k: v for k, v in y.items() if k not in VOLATILE}


def test_resume_refuses_another_seed(player, tmp_path):
    first = GRPOTrainer(_cfg(tmp_path / "r", "steps=1"), bundle=copy.deepcopy(player))
    first.train()
    other = GRPOTrainer(_cfg(tmp_path / "r", "steps=2", "resume=true", "seed=6"), bundle=copy.deepcopy(player))
    with pytest.raises(ConfigError, match="same"):
        other.train()
    other.engine.close()
