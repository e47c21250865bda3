"""The GRPO trainer end to end on the tiny preset and a synthetic image family: loop, update, metrics, CLI."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from agents.presets import load_preset
from pyvision_envs.types import EndReason
from trainers.config import load_config
from trainers.grpo.ofr import oversample_filter_rank
from trainers.grpo.prompts import PromptStream
from trainers.grpo.trainer import GRPOTrainer
from trainers.metrics import read_metrics
from trainers.monitor import TOOL_KEYS
from trainers.rollout_batch import micro_batches, split
from trainers.train_cli import train_main

ENV = "PyVision/VisualSearch-Easy-v0"
FAST = ["env_id=" + ENV, "batch.group_size=4", "batch.train_batch=2", "batch.gen_batch=2", "batch.max_rounds=3",
        "max_turns=3", "rollout.max_new_tokens=24", "rollout.max_trajectory_tokens=1024", "lr=3e-4",
        "eval_episodes=0", "progress=false"]


def config(tmp_path, *extra):
    return load_config(None, [*FAST, f"output_dir={tmp_path}", *extra])


def params(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_trainer_runs_end_to_end(player, tmp_path):
    before = params(player.model)
    cfg = config(tmp_path / "run", "steps=2", "save_every=1", "eval_episodes=4")
    result = GRPOTrainer(cfg, bundle=copy.deepcopy(player)).train()
    assert result.steps == 2
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2, 2]  # two steps, then the held-out evaluation
    first = records[0]
    for key in ("rollout/reward", "rollout/accuracy", "rollout/tool_calls", "rollout/response_len", "ofr/kept",
                "ofr/zero_variance_groups", "ofr/rounds", "ofr/correct_neg_adv_share_kept", "loss/clip_frac",
                "loss/grad_norm", "time/rollout_s", "time/update_s"):
        assert key in first, key
    updated = [r for r in records[:2] if r["update/skipped"] == 0]
    assert updated, "the protocol player's groups have reward variance: some step must update"
    for r in updated:
        assert r["ofr/kept"] == 8  # exactly train_batch x G after filtering and ranking
        # one epoch on fresh rollouts: the recomputed log-probs equal the sampling ones, so the ratio is 1
        assert abs(r["loss/ratio_mean"] - 1.0) < 1e-4 and abs(r["loss/approx_kl"]) < 1e-4
        assert r["loss/clip_frac"] == 0.0
    assert records[-1]["eval/accuracy"] == result.eval.accuracy and result.eval.episodes == 4
    assert json.loads((tmp_path / "run" / "eval.json").read_text())["accuracy"] == result.eval.accuracy
    assert {p.name for p in result.plots} == {"reward.png", "accuracy.png", "tool_calls.png", "response_len.png",
                                              "tool_use.png"}
    for key in TOOL_KEYS:  # the interaction-collapse monitor's metrics, every step, in the JSONL and TensorBoard
        assert all(0 <= r[key] for r in records[:2]), key
    assert records[0]["tools/calls_per_episode"] >= records[0]["rollout/tool_calls"]  # failed calls count too
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    assert set(TOOL_KEYS) <= set(events.Tags()["scalars"])
    assert [p.name for p in sorted((tmp_path / "run" / "checkpoints").iterdir())] == ["step-00000001",
                                                                                     "step-00000002"]
    trained = load_preset(str(result.policy_dir)).model
    after = params(trained)
    assert any(not torch.equal(before[k], after[k]) for k in before), "training did not change the policy"


def test_grad_accum_matches_one_big_step(player, tmp_path):
    """Micro-batch losses use the whole batch's token count, so accumulating them equals one full-batch step,
    whether the batch is cut in equal parts (grad_accum) or packed by padded size (micro_batch_tokens)."""
    cfg = config(tmp_path / "a", "steps=1")
    trainer = GRPOTrainer(cfg, bundle=copy.deepcopy(player))
    torch.manual_seed(0)
    batch = oversample_filter_rank(trainer._generate_round, trainer.prompts, trainer.ofr)
    assert len(batch) == 8 and any(a != 0 for a in batch.advantages)
    results = {}
    budget = 2 * max(len(t.token_ids) for t in batch.trajectories)  # packed by padded size: several micro-batches
    packed = micro_batches([len(t.token_ids) for t in batch.trajectories], 1, budget)
    assert 1 < len(packed) < len(batch)
    for accum, cut in ((1, "grad_accum=1"), (3, "grad_accum=3"), ("tokens", f"micro_batch_tokens={budget}")):
        cfg_k = config(tmp_path / f"k{accum}", "steps=1", cut, "max_grad_norm=0")
        t = GRPOTrainer(cfg_k, bundle=copy.deepcopy(player))
        grads, step = [], t.optimizer.step

        def spy(*args, _grads=grads, _step=step, _params=t.params, **kwargs):  # the gradient AdamW is given
            _grads += [p.grad.detach().clone() for p in _params]
            return _step(*args, **kwargs)

        sizes, micro_loss = [], t._micro_loss

        def counting(trajs, *args, _sizes=sizes, _loss=micro_loss):  # the micro-batches the trainer really ran
            _sizes.append(max(len(x.token_ids) for x in trajs) * len(trajs))
            return _loss(trajs, *args)

        t.optimizer.step, t._micro_loss = spy, counting
        stats = t.update(batch)
        results[accum] = (grads, params(t.bundle.model), stats)
        if accum == "tokens":  # one mini-batch (FAST): packed into several micro-batches, none over the budget
            assert len(sizes) == len(packed) > 1 and max(sizes) <= budget, sizes
        else:
            assert len(sizes) == accum
    # The accumulated gradient equals the full-batch one; AdamW's step then agrees up to float noise that its
    # division by sqrt(v) + eps magnifies where a gradient component is about eps.
    assert len(results[1][0]) == len(results[3][0]) > 0 and any(bool(g.abs().sum() > 0) for g in results[1][0])
    for other in (3, "tokens"):
        for ga, gb in zip(results[1][0], results[other][0]):
            torch.testing.assert_close(ga, gb, atol=1e-8, rtol=1e-4)
        a, b = results[1][1], results[other][1]
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=3e-5, rtol=1e-5)  # lr is 3e-4: within a tenth of a step
        assert results[1][2]["loss/tokens"] == results[other][2]["loss/tokens"] == sum(
            t.response_len for t in batch.trajectories)


def test_kl_penalty_against_frozen_reference(player, tmp_path):
    cfg = config(tmp_path / "kl", "steps=2", "loss.kl_coef=0.5")  # ofr: the first update has non-zero advantages
    trainer = GRPOTrainer(cfg, bundle=copy.deepcopy(player))
    ref = params(trainer.ref_model)
    trainer.train()
    records = read_metrics(tmp_path / "kl" / "metrics.jsonl")
    assert all("loss/kl_ref" in r and r["loss/kl_ref"] >= 0 for r in records)
    assert records[1]["loss/kl_ref"] > 0  # the policy moved away from the reference after the first update
    assert all(torch.equal(v, params(trainer.ref_model)[k]) for k, v in ref.items())  # the reference is frozen


def test_zero_variance_step_is_skipped(tmp_path):
    """A random policy never answers: every group is all-zero, oversample-filter-rank keeps nothing."""
    bundle = load_preset("tiny", seed=3)
    before = params(bundle.model)
    cfg = config(tmp_path / "zero", "steps=1", "batch.gen_batch=1", "batch.max_rounds=2", "max_turns=2")
    trainer = GRPOTrainer(cfg, bundle=bundle)
    metrics = trainer.train_step(0)
    assert metrics["update/skipped"] == 1.0 and metrics["ofr/kept"] == 0
    assert metrics["ofr/zero_variance_groups"] == 2 and metrics["ofr/rounds"] == 2 and metrics["ofr/hit_max_rounds"]
    assert metrics["rollout/end_max_turns"] == 1.0
    assert all(torch.equal(v, params(bundle.model)[k]) for k, v in before.items())


def test_prompt_stream_shards_and_resumes():
    whole = PromptStream(7, 1000)
    seeds = [next(whole) for _ in range(10)]
    r0, r1 = PromptStream(7, 1000, rank=0, world=2), PromptStream(7, 1000, rank=1, world=2)
    assert [next(r0) for _ in range(5)] == seeds[0::2] and [next(r1) for _ in range(5)] == seeds[1::2]
    assert [next(PromptStream(7, 1000, position=4)) for _ in range(1)] == seeds[4:5]
    assert all(0 <= s < 1000 for s in seeds) and len(set(seeds)) > 5
    assert split(list(range(5)), 3) == [[0], [1, 2], [3, 4]]


def test_cli_train_and_config_errors(tmp_path, capsys, player):
    from agents.presets import save_bundle

    save_bundle(player, tmp_path / "player")
    out = tmp_path / "cli"
    assert train_main(["--config", "examples/configs/grpo_tiny.yaml", f"model={tmp_path / 'player'}",
                       f"output_dir={out}", "steps=1", "batch.group_size=2", "batch.train_batch=2",
                       "batch.gen_batch=2", "rollout.max_new_tokens=24", "eval_episodes=2", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "done: 1 steps" in text and "held-out (2 episodes)" in text
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[0])["step"] == 1
    assert (out / "policy" / "config.json").exists() and (out / "config.yaml").exists()
    assert train_main(["--config", "examples/configs/grpo_tiny.yaml", "group_sise=4"]) == 2
    assert "Did you mean 'batch.group_size'" in capsys.readouterr().err


def test_end_reason_filter_counts(player, tmp_path):
    """Context-full trajectories (a tight budget) are dropped as broken interactions and counted."""
    cfg = config(tmp_path / "ctx", "steps=1", "rollout.max_trajectory_tokens=480", "rollout.max_new_tokens=8",
                 "max_turns=3")
    metrics = GRPOTrainer(cfg, bundle=copy.deepcopy(player)).train_step(0)
    assert metrics["rollout/end_context_full"] > 0
    assert metrics["ofr/broken_trajectories"] > 0
    assert EndReason.CONTEXT_FULL.broken_interaction


def test_evaluate_policy_same_seeds_same_tasks(player, tmp_path):
    from trainers.evaluate import evaluate_policy
    from trainers.rollout import RolloutSettings

    seeds = [1_000_000 + i for i in range(6)]
    rng = torch.get_rng_state()
    short = RolloutSettings(max_new_tokens=24)
    sa, a = evaluate_policy(player, ENV, {}, seeds, settings=short, max_turns=3, batch_size=4, out_dir=tmp_path)
    sb, b = evaluate_policy(player, ENV, {}, seeds, settings=short, max_turns=3, batch_size=6)
    assert torch.equal(rng, torch.get_rng_state())  # the caller's generator is untouched
    assert sa.episodes == 6 and [r.seed for r in a] == seeds and [r.index for r in a] == list(range(6))
    assert [r.task_id for r in a] == [r.task_id for r in b] and all(r.expected for r in a)
    assert sa.accuracy == sum(r.correct for r in a) / 6 and sa.mean_response_len > 0
    assert 1 <= sa.mean_turns <= 3 and sum(sa.end_reasons.values()) == 6
    # the same files as `pyvision-rl eval`: one JSONL line per episode, transcripts, summary and index
    assert [json.loads(x)["seed"] for x in (tmp_path / "episodes.jsonl").read_text().splitlines()] == seeds
    assert "## assistant (turn 1)" in (tmp_path / "episode_0005" / "transcript.md").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["accuracy"] == sa.accuracy
    greedy, _ = evaluate_policy(player, ENV, {}, seeds[:2], settings=RolloutSettings(max_new_tokens=24,
                                temperature=0.0), max_turns=3)
    assert greedy.episodes == 2


@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"])
def test_kl_ref_logs_the_kl_term_of_the_loss(tmp_path, agg):
    """``loss/kl_ref`` is the k3 KL aggregated as in the loss (seq-mean-token-mean: the mean of sequence means)."""
    from pyvision_envs.types import RewardTerms, Trajectory
    from trainers.grpo.loss import kl_k3
    from trainers.grpo.ofr import OFRBatch, OFRStats
    from trainers.rollout_batch import collate, token_logprobs

    cfg = config(tmp_path, "steps=1", "loss.kl_coef=0.5", f"loss.agg={agg}", "grad_accum=2")
    trainer = GRPOTrainer(cfg, bundle=load_preset("tiny", seed=4))
    with torch.no_grad():  # move the policy away from its frozen reference
        for p in trainer.params:
            p.add_(0.05 * torch.randn_like(p))
    lengths = (1, 2, 9)  # sampled tokens per row: the modes weigh them differently
    trajs = [Trajectory(prompt_id="p", token_ids=tuple(range(5, 8 + n)), loss_mask=(0, 0, 0) + (1,) * n,
                        old_logprobs=(0.0,) * (3 + n), prompt_len=3, reward=0.0, terms=RewardTerms(),
                        end_reason=EndReason.ANSWERED) for n in lengths]
    batch = collate(trajs, trainer.pad_id)
    with torch.no_grad():
        logps, _ = token_logprobs(trainer.model, batch)
        ref, _ = token_logprobs(trainer.ref_model, batch)
    expected = kl_k3(logps, ref, batch.loss_mask[:, 1:], agg).item()
    stats = trainer.update(OFRBatch(tuple(trajs), (1.0, -1.0, 0.5), OFRStats(mode="ofr", target=3)))
    assert expected > 1e-4
    assert stats["loss/kl_ref"] == pytest.approx(expected, rel=1e-5)


def test_underfilled_batches_warn_on_the_console_once_per_run(tmp_path, capsys):
    """A random policy never answers: every step comes out empty; the console says so once, with the counts."""
    cfg = config(tmp_path / "short", "steps=2", "batch.gen_batch=1", "batch.max_rounds=2", "max_turns=2")
    trainer = GRPOTrainer(cfg, bundle=load_preset("tiny", seed=3))
    for step in (0, 1):
        assert trainer.train_step(step)["ofr/kept"] == 0
    err = capsys.readouterr().err
    assert err.count("oversample-filter-rank kept") == 1
    assert ("step 1: oversample-filter-rank kept 0 of the 8 trajectories (batch.max_rounds=2 rounds ran out: "
            "8 generated in 2 round(s); dropped 8 in zero-variance groups, 0 broken, 0 without an image)") in err
    assert "raise batch.max_rounds or batch.gen_batch" in err


def test_the_loss_scores_the_distribution_a_vl_policy_sampled_from(tmp_path):
    """The trainer's forward masks what HFPolicy's sampler masks (tiny-vl's vision placeholders): on fresh
    rollouts the ratio is 1. Unmasked, the random weights' mass on the placeholders made it about 0.998."""
    cfg = config(tmp_path, "steps=1", "batch.mode=none", "batch.train_batch=1", "model=tiny-vl")
    trainer = GRPOTrainer(cfg, bundle=load_preset("tiny-vl", seed=0))
    assert trainer._unsampled["suppress"]  # what the sampler masks, handed to token_logprobs
    torch.manual_seed(0)
    batch = oversample_filter_rank(trainer._generate_round, trainer.prompts, trainer.ofr)
    stats = trainer.update(batch)
    assert stats["loss/tokens"] > 20
    assert abs(stats["loss/ratio_mean"] - 1.0) < 1e-5
