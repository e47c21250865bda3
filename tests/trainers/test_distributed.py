"""Data-parallel GRPO: two CPU processes under ``accelerate launch`` (gloo) train in lockstep.

Each process rolls out its own prompt shard and runs oversample-filter-rank on it; the update averages gradients
across processes, so after every step both processes must hold bitwise identical parameters.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.trainers.grpo_fixtures import protocol_policy

REPO = Path(__file__).resolve().parents[2]

RUNNER = textwrap.dedent("""
    import json, sys
    import torch
    from safetensors.torch import save_file
    from trainers.config import load_config
    from trainers.grpo.trainer import GRPOTrainer

    out = sys.argv[1]
    trainer = GRPOTrainer(load_config(out + "/config.yaml", []))
    result = trainer.train()
    rank = trainer.rank
    model = trainer.accelerator.unwrap_model(trainer.model)
    save_file({k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"},
              f"{out}/rank{rank}.safetensors")
    with open(f"{out}/rank{rank}.json", "w") as fh:
        json.dump({"world": trainer.world, "wrapper": type(trainer.model).__name__, "steps": result.steps,
                   "positions": trainer.prompts.position, "eval": result.eval.episodes}, fh)
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch_two(tmp_path, config, runner, timeout):
    """Write ``config`` and ``runner`` into ``tmp_path`` and run the runner in 2 CPU processes (gloo)."""
    (tmp_path / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    (tmp_path / "runner.py").write_text(runner)
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(_free_port()), str(tmp_path / "runner.py"), str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.mark.slow
def test_two_process_data_parallel_keeps_ranks_identical(tmp_path):
    torch.set_num_threads(1)
    player = protocol_policy("tiny")
    player.model.save_pretrained(tmp_path / "player")
    player.tokenizer.save_pretrained(tmp_path / "player")
    initial = {k: v.clone() for k, v in player.model.state_dict().items()}
    config = {
        "model": str(tmp_path / "player"), "env_id": "PyVision/VisualSearch-Easy-v0", "output_dir": str(tmp_path),
        "batch": {"group_size": 4, "train_batch": 2, "gen_batch": 2, "max_rounds": 3}, "max_turns": 3,
        "rollout": {"max_new_tokens": 24, "max_trajectory_tokens": 1024}, "lr": 1e-3, "steps": 2, "grad_accum": 2,
        "eval_episodes": 4, "progress": False, "seed": 5,
    }
    _launch_two(tmp_path, config, RUNNER, timeout=420)

    info = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [i["world"] for i in info] == [2, 2] and info[0]["wrapper"] == "DistributedDataParallel"
    assert all(i["steps"] == 2 and i["eval"] == 4 for i in info)
    p0, p1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    assert p0.keys() == p1.keys()
    for k in p0:
        assert torch.equal(p0[k], p1[k]), f"{k} differs between the ranks"
    assert any(not torch.equal(p0[k], initial[k]) for k in p0), "the 2-process run did not train"

    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 2]
    assert any(r.get("update/skipped") == 0 for r in records[:2])
    state = json.loads((tmp_path / "checkpoints" / "step-00000002" / "state.json").read_text())
    assert state["data_state"]["world_size"] == 2
    assert state["data_state"]["prompt_positions"] == [info[0]["positions"], info[1]["positions"]]


UNDERFILLED = textwrap.dedent("""
    import json, sys
    import torch
    from tests.trainers.test_distributed import _one_token_trajectory
    from trainers.config import load_config
    from trainers.grpo.ofr import OFRBatch, OFRStats
    from trainers.grpo.trainer import GRPOTrainer

    out = sys.argv[1]
    trainer = GRPOTrainer(load_config(out + "/config.yaml", []))
    # one sampled token in the whole mini-batch, on rank 0 only
    mine = (_one_token_trajectory(),) if trainer.rank == 0 else ()
    batch = OFRBatch(mine, (0.5,) * len(mine), OFRStats(mode="ofr", target=1))
    grads, step = [], trainer.optimizer.step

    def spy(*args, **kwargs):  # the gradient AdamW is given, after DDP's average over the processes
        grads.extend(p.grad.detach().clone() for p in trainer.params)
        return step(*args, **kwargs)

    trainer.optimizer.step = spy
    stats = trainer.update(batch)
    torch.save({"grads": grads, "policy": stats["loss/policy"]}, f"{out}/rank{trainer.rank}.pt")
""")


@pytest.mark.slow
@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-mean"])
def test_two_processes_underfilled_mini_batch_gets_the_whole_batch_gradient(tmp_path, agg):
    """One sampled token between two processes: each divides by 1 / 2, so the DDP average is the 1-token loss's
    gradient. Clamping the divisor to 1 used to halve it."""
    from agents.presets import load_preset
    from trainers.grpo.loss import policy_loss
    from trainers.rollout_batch import collate, token_logprobs

    config = {"model": "tiny", "output_dir": str(tmp_path), "batch": {"group_size": 2, "train_batch": 2},
              "loss": {"agg": agg}, "steps": 1, "max_grad_norm": 0.0, "eval_episodes": 0, "progress": False,
              "seed": 3}
    _launch_two(tmp_path, config, UNDERFILLED, timeout=300)

    # the same token's loss in one process, no denominator given: the whole batch is this one token
    bundle = load_preset("tiny", seed=3)
    model = bundle.model.eval()
    batch = collate([_one_token_trajectory()], bundle.tokenizer.pad_token_id)
    logps, _ = token_logprobs(model, batch)
    loss, _ = policy_loss(logps, batch.old_logprobs[:, 1:], torch.tensor([0.5]), batch.loss_mask[:, 1:], agg=agg)
    loss.backward()
    expected = [p.grad for p in model.parameters() if p.requires_grad]
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    for got in ranks:
        assert len(got["grads"]) == len(expected)
        for g, e in zip(got["grads"], expected):
            torch.testing.assert_close(g, e, atol=1e-7, rtol=1e-5)
    assert sum(r["policy"] for r in ranks) / 2 == pytest.approx(loss.item(), rel=1e-5)


def _one_token_trajectory():
    from pyvision_envs.types import EndReason, RewardTerms, Trajectory

    return Trajectory(prompt_id="p", token_ids=(5, 9, 17, 23), loss_mask=(0, 0, 1, 0),
                      old_logprobs=(0.0, 0.0, -3.0, 0.0), prompt_len=2, reward=1.0, terms=RewardTerms(1.0),
                      end_reason=EndReason.ANSWERED)
