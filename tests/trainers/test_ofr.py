import itertools
import math

import pytest
import torch

from pyvision_envs.types import EndReason, RewardTerms, RolloutGroup, Trajectory
from trainers.grpo.ofr import OFRSettings, oversample_filter_rank, training_reward


def traj(pid, acc, tools=0, end=EndReason.ANSWERED, images=1):
    tool = 0.1 * tools if acc >= 1.0 else 0.0
    terms = RewardTerms(accuracy=acc, tool=tool)
    return Trajectory(prompt_id=pid, token_ids=(1, 2, 3), loss_mask=(0, 1, 1), old_logprobs=(0.0, -1.0, -1.0),
                      prompt_len=1, reward=terms.total, terms=terms, end_reason=end, tool_calls=tools,
                      images_returned=images)


BROKEN = EndReason.FORMAT_ERROR
# Each prompt: a list of G=4 (accuracy, tool calls, end reason, images returned).
SCENARIO = {
    "p0": [(1, 0, EndReason.ANSWERED, 1), (0, 0, BROKEN, 1), (0, 0, EndReason.ANSWERED, 1), (0, 0, EndReason.MAX_TURNS, 1)],
    "p1": [(0, 0, EndReason.ANSWERED, 1)] * 4,                       # all wrong: zero variance
    "p2": [(1, 0, EndReason.ANSWERED, 1)] * 2 + [(0, 0, EndReason.ANSWERED, 1)] * 2,  # std 0.5
    "p3": [(1, 0, EndReason.ANSWERED, 1)] + [(1, 4, EndReason.ANSWERED, 1)] * 3,      # 1.0, 1.4 x3: std 0.173
    "p4": [(1, 0, EndReason.ANSWERED, 0)] * 4,                       # all right, same tools: zero variance
    "p5": [(1, 0, EndReason.ANSWERED, 1)] * 3 + [(0, 0, EndReason.ANSWERED, 0)],      # std 0.433
}


class Generator:
    """Deterministic rollout stand-in: looks up each prompt's scripted group and records the rounds asked."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.calls = []

    def __call__(self, prompts):
        self.calls.append(list(prompts))
        return [RolloutGroup(p, tuple(traj(p, a, t, e, i) for a, t, e, i in self.scenario[p])) for p in prompts]


def settings(**kw):
    base = dict(group_size=4, train_batch=2, gen_batch=3, max_rounds=8)
    base.update(kw)
    return OFRSettings(**base)


def ids(batch):
    return [t.prompt_id for t in batch.trajectories]


def test_ofr_rounds_filters_ranks_and_cuts_exactly_target():
    gen = Generator(SCENARIO)
    batch = oversample_filter_rank(gen, iter(SCENARIO), settings())
    s = batch.stats
    assert gen.calls == [["p0", "p1", "p2"], ["p3", "p4", "p5"]]
    assert (s.rounds, s.prompts_used, s.groups_generated, s.trajectories_generated) == (2, 6, 6, 24)
    assert (s.zero_variance_groups, s.zero_variance_trajectories, s.broken_trajectories) == (2, 8, 1)
    assert (s.pool_groups, s.pool_size, s.target, s.kept) == (4, 15, 8, 8)
    # rank: p2 (0.5), p0 and p5 (0.433, generation order), p3 (0.173). p2 and p0 (3 survivors) fit whole,
    # p5 does not fit the last slot whole, so it is cut to its first trajectory.
    assert ids(batch) == ["p2"] * 4 + ["p0"] * 3 + ["p5"]
    assert (s.kept_groups, s.cut_groups) == (3, 1)
    assert not s.hit_max_rounds and not s.prompts_exhausted
    assert len(batch) == 8 == len(batch.advantages) == len(batch.rewards)


def test_advantages_come_from_full_groups_before_filtering():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(SCENARIO), settings())
    adv = batch.advantages
    assert adv[:4] == pytest.approx([0.5, 0.5, -0.5, -0.5])
    # p0's mean includes the broken trajectory (R = 1,0,0,0 -> mean 0.25), not just the 3 survivors (1/3)
    assert adv[4:7] == pytest.approx([0.75, -0.25, -0.25])
    assert [t.end_reason for t in batch.trajectories[4:7]] == [EndReason.ANSWERED, EndReason.ANSWERED,
                                                                 EndReason.MAX_TURNS]
    assert adv[7] == pytest.approx(0.25)
    assert torch.allclose(batch.advantages_tensor(), torch.tensor(adv, dtype=torch.float32))


def test_ranking_cuts_correct_negative_advantage_share():
    ofr = oversample_filter_rank(Generator(SCENARIO), iter(SCENARIO), settings()).stats
    # p3's tool-free correct answer has A = 1.0 - 1.3 = -0.3: 1 of the 15 pooled trajectories
    assert ofr.correct_neg_adv_share_pool == pytest.approx(1 / 15)
    assert ofr.correct_neg_adv_share_kept == 0.0
    flt = oversample_filter_rank(Generator(SCENARIO), iter(SCENARIO), settings(mode="filter"))
    # DAPO-style: generation order p0 (3), p2 (4) whole, then p3 cut to its first trajectory, the negative one
    assert ids(flt) == ["p0"] * 3 + ["p2"] * 4 + ["p3"]
    assert flt.advantages[-1] == pytest.approx(-0.3) and flt.trajectories[-1].correct
    assert flt.stats.correct_neg_adv_share_kept == pytest.approx(1 / 8)


def test_generated_stats_cover_every_trajectory():
    from trainers.grpo.step_metrics import rollout_metrics

    batch = oversample_filter_rank(Generator(SCENARIO), iter(SCENARIO), settings())
    s, m = batch.stats, rollout_metrics(batch.generated)
    assert len(batch.generated) == s.trajectories_generated == 24
    assert m["rollout/accuracy"] == pytest.approx(14 / 24)
    assert m["rollout/tool_calls"] == pytest.approx(12 / 24)
    assert m["rollout/reward"] == pytest.approx((14 + 1.2) / 24)
    assert m["rollout/response_len"] == 2.0
    assert not [k for k in s.as_dict() if k.startswith("ofr/gen_")]  # computed once, in rollout_metrics
    assert s.zero_variance_share_generated == pytest.approx(2 / 6)
    assert s.kept_reward_std_mean == pytest.approx((0.5 + math.sqrt(0.1875) * 2) / 3)
    d = s.as_dict()
    assert d["ofr/rounds"] == 2.0 and d["ofr/hit_max_rounds"] == 0.0 and "ofr/mode" not in d
    assert all(isinstance(v, float) for v in d.values())


def test_none_mode_is_plain_grpo_one_round_no_filter():
    gen = Generator(SCENARIO)
    batch = oversample_filter_rank(gen, iter(SCENARIO), settings(mode="none"))
    assert gen.calls == [["p0", "p1"]]  # train_batch prompts, not gen_batch
    assert ids(batch) == ["p0"] * 4 + ["p1"] * 4  # broken and zero-variance kept
    assert batch.advantages == pytest.approx([0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0])
    s = batch.stats
    assert (s.zero_variance_groups, s.broken_trajectories, s.rounds) == (0, 0, 1)
    assert s.zero_variance_share_generated == 0.5


def test_max_rounds_cap_returns_pool_without_padding():
    gen = Generator(SCENARIO)
    prompts = itertools.cycle(["p1", "p4", "p2"])  # only p2 survives: 4 per round of 3 prompts
    batch = oversample_filter_rank(gen, prompts, settings(train_batch=4, max_rounds=3))  # target 16
    s = batch.stats
    assert s.hit_max_rounds and not s.prompts_exhausted
    assert (s.rounds, s.prompts_used, s.pool_size, s.kept, s.target) == (3, 9, 12, 12, 16)
    assert ids(batch) == ["p2"] * 12


def test_prompt_stream_exhausted():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p2", "p1"]), settings(train_batch=4))
    assert batch.stats.prompts_exhausted and not batch.stats.hit_max_rounds
    assert batch.stats.rounds == 1 and len(batch) == 4


def test_empty_pool_gives_empty_batch():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p1", "p4"]), settings(max_rounds=1))
    assert len(batch) == 0 and batch.stats.kept == 0 and batch.stats.hit_max_rounds
    assert batch.advantages_tensor().shape == (0,)


def test_same_iterator_draws_new_prompts_each_step():
    gen = Generator(SCENARIO)
    stream = iter(["p2", "p5", "p0", "p2", "p5", "p0"])
    first = oversample_filter_rank(gen, stream, settings(gen_batch=2))
    second = oversample_filter_rank(gen, stream, settings(gen_batch=2))
    assert gen.calls == [["p2", "p5"], ["p0", "p2"], ["p5", "p0"]]
    assert first.stats.prompts_used == 2 and second.stats.prompts_used == 4
    assert ids(first) == ["p2"] * 4 + ["p5"] * 4
    # step 2 pool: p0 (3 survivors), p2, p5, p0 again; p2 and the first p0 fit whole, then p5 is cut to 1
    assert ids(second) == ["p2"] * 4 + ["p0"] * 3 + ["p5"]


def test_no_image_filter():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p5", "p2"]), settings(filter_no_image=True))
    assert batch.stats.no_image_trajectories == 1
    assert ids(batch) == ["p2"] * 4 + ["p5"] * 3
    assert all(t.images_returned > 0 for t in batch.trajectories)


def test_filters_can_be_switched_off():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p0", "p1"]),
                                   settings(filter_zero_variance=False, filter_broken=False, max_rounds=1))
    assert ids(batch) == ["p0"] * 4 + ["p1"] * 4
    assert batch.stats.zero_variance_share_generated == 0.5


def test_tool_reward_off_trains_on_accuracy_only():
    t = traj("p", 1, tools=3)
    assert training_reward(t) == pytest.approx(1.3) and training_reward(t, train_on_tool_reward=False) == 1.0
    # p3 is all correct: without the tool term it is zero-variance and dropped
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p3", "p2"]), settings(train_on_tool_reward=False))
    assert ids(batch) == ["p2"] * 4 and batch.stats.zero_variance_groups == 1
    assert batch.rewards == (1.0, 1.0, 0.0, 0.0)


def test_normalize_std_passes_through():
    batch = oversample_filter_rank(Generator(SCENARIO), iter(["p2"]), settings(normalize_std=True, max_rounds=1))
    assert batch.advantages == pytest.approx([1.0, 1.0, -1.0, -1.0], rel=1e-5)


def test_std_tolerance():
    near = {"q": [(1, 0, EndReason.ANSWERED, 1), (1, 1, EndReason.ANSWERED, 1)]}  # 1.0 vs 1.1: std 0.05
    loose = oversample_filter_rank(Generator(near), iter(["q"]), settings(group_size=2, std_tol=0.06))
    tight = oversample_filter_rank(Generator(near), iter(["q"]), settings(group_size=2, std_tol=0.04))
    assert len(loose) == 0 and loose.stats.zero_variance_groups == 1
    assert len(tight) == 2


def test_empty_group_is_an_error():
    with pytest.raises(ValueError, match="empty group for prompt 'e'"):
        oversample_filter_rank(lambda ps: [RolloutGroup("e", ())], iter(["e"]), settings())


@pytest.mark.parametrize("kw, match", [
    ({"mode": "rank"}, "batching mode"),
    ({"group_size": 0}, "group_size"),
    ({"max_rounds": 0}, "max_rounds"),
    ({"std_tol": -1.0}, "std_tol"),
])
def test_bad_settings(kw, match):
    with pytest.raises(ValueError, match=match):
        settings(**kw)


def _fork_cut(groups, target):
    """The released PyVision-RL fork, literally: each trajectory gets ``torch.std`` of its group's scores (float32,
    unbiased; a group of one gets 1.0), the filtered pool keeps generation order, then
    ``np.argsort(-sample_level_stds)[:target_traj_bsz]`` when the pool exceeds the target."""
    import numpy as np

    pool, stds = [], []
    for g in groups:
        scores = [t.reward for t in g.trajectories]
        std = torch.std(torch.tensor([scores])) if len(scores) > 1 else torch.tensor(1.0)
        survivors = [t for t in g.trajectories if not t.end_reason.broken_interaction]
        if np.std(scores) > 0 or len(scores) == 1:  # dynamic sampling, then the end-reason filter
            pool += survivors
            stds += [std] * len(survivors)
    if len(pool) <= target:
        return pool
    return [pool[i] for i in np.argsort(-np.array(stds))[:target]]


def test_truncate_cut_is_the_released_forks_argsort():
    order = ["p2", "p5", "p0", "p3", "p1", "p4"]  # p5 ranks above p0 (equal std, generated first) but is larger
    gen = Generator(SCENARIO)
    whole = oversample_filter_rank(gen, iter(order), settings(group_size=7, train_batch=1, gen_batch=6))
    assert ids(whole) == ["p2"] * 4 + ["p0"] * 3  # whole groups first: p5 (4) does not fit, p0 (3) does
    truncated = oversample_filter_rank(gen, iter(order), settings(group_size=7, train_batch=1, gen_batch=6,
                                                                   cut="truncate"))
    assert ids(truncated) == ["p2"] * 4 + ["p5"] * 3  # the ranking is cut where it ends: p5 loses one
    assert (truncated.stats.kept, truncated.stats.kept_groups, truncated.stats.cut_groups) == (7, 2, 1)
    expected = _fork_cut(gen(order), 7)
    assert [t.prompt_id for t in expected] == ids(truncated)


@pytest.mark.parametrize("seed", range(5))
def test_truncate_matches_the_fork_on_random_pools_with_ties(seed):
    """Pools above 16 trajectories, where NumPy's default sort is not stable: the same order still."""
    rng = torch.Generator().manual_seed(seed)
    scenario = {}
    for p in range(12):
        size = int(torch.randint(2, 7, (1,), generator=rng))
        rows = [(int(torch.randint(0, 2, (1,), generator=rng)), int(torch.randint(0, 3, (1,), generator=rng)),
                 BROKEN if torch.rand(1, generator=rng) < 0.15 else EndReason.ANSWERED, 1) for _ in range(size)]
        scenario[f"q{p}"] = rows
    gen = Generator(scenario)
    batch = oversample_filter_rank(gen, iter(scenario), settings(group_size=4, train_batch=5, gen_batch=12,
                                                                  max_rounds=1, cut="truncate"))
    expected = _fork_cut(gen(list(scenario)), 20)
    assert batch.stats.pool_size > 30 and len(batch) == len(expected) == 20
    assert [(t.prompt_id, t.reward, t.end_reason) for t in batch.trajectories] == \
        [(t.prompt_id, t.reward, t.end_reason) for t in expected]


def test_truncate_in_filter_mode_keeps_the_first_target_in_generation_order():
    gen = Generator(SCENARIO)
    batch = oversample_filter_rank(gen, iter(SCENARIO), settings(mode="filter", cut="truncate"))
    assert ids(batch) == ["p0"] * 3 + ["p2"] * 4 + ["p3"]


def test_unbiased_std_normalisation_as_the_fork():
    gen = Generator({"p": [(1, 0, EndReason.ANSWERED, 1)] + [(0, 0, EndReason.ANSWERED, 1)] * 3})
    s = settings(train_batch=1, gen_batch=1, normalize_std=True, unbiased_std=True)
    batch = oversample_filter_rank(gen, iter(["p"]), s)
    # mean 0.25, unbiased std 0.5 (population: 0.433): (r - mean) / (std + 1e-6)
    assert batch.advantages == pytest.approx((0.75 / (0.5 + 1e-6),) + (-0.25 / (0.5 + 1e-6),) * 3)
    with pytest.raises(ValueError, match="cut='ends'.*whole-groups, truncate"):
        settings(cut="ends")
