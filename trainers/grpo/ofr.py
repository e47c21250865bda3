"""Oversample-filter-rank: turn rollout rounds into one GRPO training batch (SPEC section 4, exactly).

Per training step, with ``target = train_batch * G`` trajectories:

1. Take the next ``gen_batch`` prompts; ``generate_round`` rolls out G trajectories for each.
2. Compute advantages on the **full** groups, before anything is dropped (``group_advantages``).
3. Filter, in this order (each trajectory is counted once, under the first filter that drops it):
   whole groups whose reward std is ``<= std_tol``; trajectories with a broken interaction
   (``EndReason.broken_interaction``: context full, too many images, format breakage); optionally trajectories
   that never got an image back from a tool (``images_returned == 0``).
4. Add the survivors to the pool; repeat from 1 until the pool holds ``>= target`` trajectories or
   ``max_rounds`` rounds have run.
5. Rank the pool's groups by reward std, descending (ties keep generation order), and keep exactly ``target``.

Cutting to exactly ``target``: groups are kept **whole first**: walking the ranking, every group that still fits
is taken; if slots remain, they are filled from the highest-ranked group that did not fit, taking its
trajectories in generation order (at most one group is cut). Advantages were computed on the full group, so a cut
group's kept trajectories keep their advantages.

When ``max_rounds`` (or the prompt iterator) runs out before the pool reaches ``target``, the batch holds the whole
pool, ranked: **no padding**; ``stats.hit_max_rounds`` / ``stats.prompts_exhausted`` say so and the trainer
normalizes its loss by the tokens it actually has. An empty pool gives an empty batch (the trainer skips the
update).

``cut="truncate"`` reproduces the released PyVision-RL fork instead: every pooled trajectory carries its full
group's unbiased (G - 1) reward std in float32 (1.0 for a group of one), and the batch is
``pool[np.argsort(-std)[:target]]``, so groups are cut wherever the ranking ends, and ties fall as NumPy's default
sort leaves them; in ``filter`` mode it is ``pool[:target]``. A pool of at most ``target`` is kept whole, in
generation order, as in the fork.

Modes (for ablations): ``ofr`` as above; ``filter`` (DAPO-style dynamic sampling: the same rounds and filters,
no ranking, keep the first ``target`` in generation order by the same whole-groups-first rule); ``none`` (plain
GRPO: one round of ``train_batch`` prompts, nothing filtered or ranked).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from pyvision_envs.types import RolloutGroup, Trajectory
from trainers.grpo.advantages import group_advantages, population_std
from trainers.settings import Settings

OFR_MODES = ("ofr", "filter", "none")
CUT_MODES = ("whole-groups", "truncate")
GenerateRound = Callable[[list[Any]], Sequence[RolloutGroup]]


@dataclass(frozen=True)
class OFRSettings(Settings):
    """How one training batch is assembled (``GRPOConfig.batch``); declared and validated here only."""

    group_size: int = 8
    """G: rollouts per prompt. ``target = train_batch * group_size`` trajectories (other group sizes pass)."""
    train_batch: int = 16
    """Prompts per training batch: each update trains on ``train_batch * group_size`` trajectories."""
    gen_batch: int = 32
    """Prompts per generation round in ``ofr``/``filter`` mode. May be below train_batch (more rounds run)."""
    mode: str = "ofr"
    """Batching: ``ofr`` (oversample-filter-rank), ``filter`` (DAPO-style, no ranking), ``none`` (plain GRPO)."""
    max_rounds: int = 8
    """Cap on generation rounds per step; when hit, the step trains on the smaller pool (logged)."""
    std_tol: float = 1e-6
    """A group whose reward std is at most this counts as zero-variance."""
    filter_zero_variance: bool = True
    """Drop groups whose rewards are all equal (they carry no GRPO signal)."""
    filter_broken: bool = True
    """Drop trajectories that ended in a broken interaction (context full, too many images, format error)."""
    filter_no_image: bool = False
    """Drop trajectories that never got an image back from a tool (forces visual tool use)."""
    train_on_tool_reward: bool = True
    """Advantages use the episode reward with its tool term; False subtracts the term (the ablation), while the
    environment still pays and logs it. (The environment's own ``tool_reward=False`` drops the term at the source.)"""
    normalize_std: bool = False
    """Divide advantages by the group's population std (the paper does not: it makes training fluctuate)."""
    cut: str = "whole-groups"
    """Cutting the ranked pool to the batch: ``whole-groups`` (keep groups whole first, cut at most one; ours) or
    ``truncate`` (the released fork's ``argsort(-std)[:target]`` over trajectories; see the module docstring)."""
    unbiased_std: bool = False
    """With ``normalize_std``, divide by the unbiased (G - 1) std, as the released fork does."""

    def validate(self) -> None:
        """Known mode, positive sizes, and a round cap that can fill a batch."""
        if self.mode not in OFR_MODES:
            self._fail("mode", f"is not a batching mode; use one of {', '.join(OFR_MODES)}")
        if self.cut not in CUT_MODES:
            self._fail("cut", f"is not a cut rule; use one of {', '.join(CUT_MODES)}")
        self._positive("group_size", "train_batch", "gen_batch", "max_rounds")
        self._non_negative("std_tol")
        if self.mode != "none" and self.max_rounds * self.gen_batch < self.train_batch:
            self._fail("max_rounds", f"max_rounds * gen_batch = {self.max_rounds * self.gen_batch} prompts can "
                       f"never fill train_batch={self.train_batch} prompts; raise max_rounds or gen_batch")

    @property
    def target(self) -> int:
        """Trajectories in a full training batch."""
        return self.train_batch * self.group_size


@dataclass(frozen=True)
class OFRStats:
    """What happened while one batch was assembled (logged every step).

    Trajectory counts per filter are exclusive, in filter order. ``*_share`` values are fractions in [0, 1].
    ``correct_neg_adv_share_*`` is the share of trajectories (of the pool before ranking, and of the kept batch
    after) that were graded correct yet got a negative advantage, which the tool bonus creates and ranking cuts.
    Means over the generated trajectories (reward, accuracy...) are not here: ``OFRBatch.generated`` holds them
    and ``trainers.grpo.step_metrics.rollout_metrics`` computes them once.
    """

    mode: str
    target: int
    rounds: int = 0
    prompts_used: int = 0
    hit_max_rounds: bool = False
    prompts_exhausted: bool = False
    groups_generated: int = 0
    trajectories_generated: int = 0
    zero_variance_groups: int = 0
    zero_variance_trajectories: int = 0
    broken_trajectories: int = 0
    no_image_trajectories: int = 0
    zero_variance_share_generated: float = 0.0
    pool_groups: int = 0
    pool_size: int = 0
    kept: int = 0
    kept_groups: int = 0
    cut_groups: int = 0
    correct_neg_adv_share_pool: float = 0.0
    correct_neg_adv_share_kept: float = 0.0
    kept_reward_std_mean: float = 0.0

    def as_dict(self, prefix: str = "ofr/") -> dict[str, float]:
        """Numeric stats keyed ``prefix + name`` (booleans as 0/1; the mode string left out)."""
        return {prefix + k: float(v) for k, v in asdict(self).items() if k != "mode"}


@dataclass(frozen=True)
class OFRBatch:
    """The kept trajectories, aligned with their advantages (computed on the full groups) and training rewards.

    ``generated`` holds every trajectory the step generated, before any filter, in generation order.
    """

    trajectories: tuple[Trajectory, ...]
    advantages: tuple[float, ...]
    stats: OFRStats
    rewards: tuple[float, ...] = field(default=())
    generated: tuple[Trajectory, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.trajectories)

    def advantages_tensor(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Per-sequence advantages ``[B]`` for ``policy_loss``."""
        return torch.tensor(self.advantages, dtype=dtype)


@dataclass
class _PoolGroup:
    """A group's surviving members, with the std and advantages of the full group."""

    std: float
    members: list[tuple[Trajectory, float, float]]  # (trajectory, advantage, training reward)
    fork_std: float = 0.0  # what the released fork ranks on: the unbiased std in float32 (1.0 for one member)


def training_reward(traj: Trajectory, train_on_tool_reward: bool = True) -> float:
    """The reward GRPO trains on: the episode reward, minus the tool term when ``train_on_tool_reward`` is off."""
    return traj.reward if train_on_tool_reward else traj.reward - traj.terms.tool


def _share_correct_negative(members: Sequence[tuple[Trajectory, float, float]]) -> float:
    if not members:
        return 0.0
    return sum(1 for t, a, _ in members if t.correct and a < 0) / len(members)


def _select(groups: list[_PoolGroup], target: int) -> tuple[list[_PoolGroup], int]:
    """Keep exactly ``target`` trajectories (or all of them): whole groups first, then cut one group."""
    if sum(len(g.members) for g in groups) <= target:
        return list(groups), 0
    take = [0] * len(groups)
    room = target
    for i, g in enumerate(groups):
        if len(g.members) <= room:
            take[i], room = len(g.members), room - len(g.members)
    cut = 0
    for i, g in enumerate(groups):
        if room == 0:
            break
        if take[i] == 0:  # did not fit whole, so it holds more than ``room``: cut it
            take[i], room, cut = room, 0, 1
    kept = [_PoolGroup(g.std, g.members[:n]) for g, n in zip(groups, take, strict=True) if n]
    return kept, cut


def _truncate(pool: list[_PoolGroup], s: OFRSettings
              ) -> tuple[list[tuple[Trajectory, float, float]], list[_PoolGroup], int]:
    """The released fork's cut: ``argsort(-std)[:target]`` over trajectories (``filter`` mode: the first target).

    Returns the kept trajectories in the fork's order, the pool groups they come from, and how many were cut.
    """
    flat = [(g, m) for g in pool for m in g.members]
    if len(flat) > s.target:
        if s.mode == "ofr":
            stds = np.array([g.fork_std for g, _ in flat], dtype=np.float32)
            flat = [flat[k] for k in np.argsort(-stds)[: s.target]]
        else:
            flat = flat[: s.target]
    taken = Counter(id(g) for g, _ in flat)
    groups = [g for g in pool if taken[id(g)]]
    return [m for _, m in flat], groups, sum(1 for g in groups if taken[id(g)] < len(g.members))


class _Counter:
    """Mutable tallies gathered round by round, frozen into ``OFRStats`` at the end."""

    def __init__(self) -> None:
        self.c: dict[str, Any] = dict.fromkeys(
            ("rounds", "prompts_used", "groups_generated", "trajectories_generated", "zero_variance_groups",
             "zero_variance_trajectories", "broken_trajectories", "no_image_trajectories", "zero_var_seen"), 0)
        self.generated: list[Trajectory] = []


def _screen_group(group: RolloutGroup, s: OFRSettings, filtering: bool, n: _Counter) -> _PoolGroup | None:
    """Advantages on the full group, then the filters; None when nothing of the group survives."""
    if not group.trajectories:
        raise ValueError(f"generate_round returned an empty group for prompt {group.prompt_id!r}; "
                         "every group needs at least one trajectory")
    rewards = [training_reward(t, s.train_on_tool_reward) for t in group.trajectories]
    adv = group_advantages(torch.tensor([rewards], dtype=torch.float64), normalize_std=s.normalize_std,
                           unbiased=s.unbiased_std)[0]
    std = population_std(rewards)
    fork_std = float(torch.tensor(rewards, dtype=torch.float32).std()) if len(rewards) > 1 else 1.0
    n.c["groups_generated"] += 1
    n.c["trajectories_generated"] += len(rewards)
    n.generated += group.trajectories
    n.c["zero_var_seen"] += std <= s.std_tol
    members = [(t, a, r) for t, a, r in zip(group.trajectories, adv.tolist(), rewards, strict=True)]
    if not filtering:
        return _PoolGroup(std, members, fork_std)
    if s.filter_zero_variance and std <= s.std_tol:
        n.c["zero_variance_groups"] += 1
        n.c["zero_variance_trajectories"] += len(members)
        return None
    if s.filter_broken:
        survivors = [m for m in members if not m[0].end_reason.broken_interaction]
        n.c["broken_trajectories"] += len(members) - len(survivors)
        members = survivors
    if s.filter_no_image:
        survivors = [m for m in members if m[0].images_returned > 0]
        n.c["no_image_trajectories"] += len(members) - len(survivors)
        members = survivors
    return _PoolGroup(std, members, fork_std) if members else None


def _generate(generate_round: GenerateRound, prompts: Iterable[Any], s: OFRSettings,
              n: _Counter) -> tuple[list[_PoolGroup], bool, bool]:
    """Run rounds until the pool is full; return (pool groups, hit_max_rounds, prompts_exhausted)."""
    it = iter(prompts)
    filtering = s.mode != "none"
    per_round, max_rounds = (s.gen_batch, s.max_rounds) if filtering else (s.train_batch, 1)
    pool: list[_PoolGroup] = []
    size = 0
    exhausted = False
    while size < s.target and n.c["rounds"] < max_rounds:
        batch = list(itertools.islice(it, per_round))
        if not batch:
            exhausted = True
            break
        n.c["rounds"] += 1
        n.c["prompts_used"] += len(batch)
        exhausted = len(batch) < per_round
        for group in generate_round(batch):
            kept = _screen_group(group, s, filtering, n)
            if kept is not None:
                pool.append(kept)
                size += len(kept.members)
        if exhausted:
            break
    hit_cap = filtering and size < s.target and n.c["rounds"] >= max_rounds
    return pool, hit_cap, exhausted and size < s.target


def oversample_filter_rank(generate_round: GenerateRound, prompts: Iterable[Any],
                           settings: OFRSettings | None = None) -> OFRBatch:
    """Assemble one training batch by oversample-filter-rank (or the ``filter`` / ``none`` ablations).

    Args:
        generate_round: Rolls out G trajectories for each prompt of a list and returns one ``RolloutGroup`` per
            prompt (the rollout engine, or a stub in tests).
        prompts: The prompt stream. Pass the **same iterator** every step so that each step draws new prompts;
            a list would restart from its first prompt on every call.
        settings: Batch sizes, mode, filters; defaults to the paper's recipe.

    Returns:
        An ``OFRBatch`` of at most ``target`` trajectories (exactly ``target`` unless the rounds or prompts ran
        out), their advantages and training rewards, and the step's ``OFRStats``.
    """
    s = settings or OFRSettings()
    n = _Counter()
    pool, hit_cap, exhausted = _generate(generate_round, prompts, s, n)
    if s.cut == "truncate":
        kept_members, kept, cut = _truncate(pool, s)
    else:
        kept, cut = _select(sorted(pool, key=lambda g: -g.std) if s.mode == "ofr" else pool, s.target)
        kept_members = [m for g in kept for m in g.members]
    pool_members = [m for g in pool for m in g.members]
    stats = OFRStats(
        mode=s.mode, target=s.target, hit_max_rounds=hit_cap, prompts_exhausted=exhausted,
        **{k: v for k, v in n.c.items() if k != "zero_var_seen"},
        zero_variance_share_generated=n.c["zero_var_seen"] / max(n.c["groups_generated"], 1),
        pool_groups=len(pool), pool_size=len(pool_members), kept=len(kept_members), kept_groups=len(kept),
        cut_groups=cut,
        correct_neg_adv_share_pool=_share_correct_negative(pool_members),
        correct_neg_adv_share_kept=_share_correct_negative(kept_members),
        kept_reward_std_mean=sum(g.std for g in kept) / max(len(kept), 1),
    )
    return OFRBatch(
        trajectories=tuple(m[0] for m in kept_members),
        advantages=tuple(m[1] for m in kept_members),
        stats=stats,
        rewards=tuple(m[2] for m in kept_members),
        generated=tuple(n.generated),
    )
