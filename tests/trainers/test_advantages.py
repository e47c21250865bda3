import math

import pytest
import torch

from pyvision_envs.types import EndReason, RewardTerms, RolloutGroup, Trajectory
from trainers.grpo.advantages import group_advantages, population_std


def test_centred_without_std_division_by_default():
    rewards = torch.tensor([[1.0, 0.0, 0.0, 1.0], [2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    expected = torch.tensor([[0.5, -0.5, -0.5, 0.5], [0.0, 0.0, 0.0, 0.0], [-1.5, -0.5, 0.5, 1.5]])
    assert torch.equal(group_advantages(rewards), expected)


def test_tool_bonus_makes_correct_answer_negative():
    # SPEC 3: R = acc + 0.1 * tool calls if correct. Correct with 0 calls vs correct with 2 calls and one wrong.
    rewards = torch.tensor([[1.0, 1.2, 0.0]])
    adv = group_advantages(rewards)
    assert torch.allclose(adv, torch.tensor([[1.0 - 2.2 / 3, 1.2 - 2.2 / 3, -2.2 / 3]]))
    assert adv[0, 0] > 0  # still positive here; with more high-tool peers it goes negative
    adv2 = group_advantages(torch.tensor([[1.0, 1.4, 1.4, 1.4]]))
    assert adv2[0, 0].item() == pytest.approx(1.0 - 5.2 / 4) and adv2[0, 0] < 0


def test_normalize_uses_population_std():
    rewards = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    pop = math.sqrt(1.25)  # sum of squares 5 over G=4, not G-1=3 (which would give 1.2910)
    adv = group_advantages(rewards, normalize_std=True, eps=0.0)
    assert torch.allclose(adv, torch.tensor([[-1.5, -0.5, 0.5, 1.5]]) / pop)
    assert not torch.allclose(adv, torch.tensor([[-1.5, -0.5, 0.5, 1.5]]) / math.sqrt(5 / 3))


def test_normalize_eps_is_added_to_std():
    adv = group_advantages(torch.tensor([[0.0, 1.0]]), normalize_std=True, eps=0.5)
    assert torch.allclose(adv, torch.tensor([[-0.5, 0.5]]) / (0.5 + 0.5))


def test_zero_variance_and_single_trajectory_give_zero_not_nan():
    adv = group_advantages(torch.tensor([[1.0, 1.0, 1.0]]), normalize_std=True)
    assert torch.equal(adv, torch.zeros(1, 3))
    adv1 = group_advantages(torch.tensor([[0.7]]), normalize_std=True)
    assert torch.equal(adv1, torch.zeros(1, 1))


def test_matches_rollout_group_reward_std():
    rewards = [1.1, 0.0, 1.3, 0.0, 1.0]
    trajs = tuple(Trajectory("p", (1,), (1,), (0.0,), 0, r, RewardTerms(accuracy=r), EndReason.ANSWERED)
                  for r in rewards)
    group = RolloutGroup("p", trajs)
    assert population_std(rewards) == pytest.approx(group.reward_std)
    centred = group_advantages(torch.tensor([rewards], dtype=torch.float64))
    normed = group_advantages(torch.tensor([rewards], dtype=torch.float64), normalize_std=True, eps=0.0)
    assert torch.allclose(normed, centred / group.reward_std)


def test_dtype_preserved():
    assert group_advantages(torch.tensor([[1.0, 0.0]], dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize("bad, match", [
    (torch.tensor([1.0, 0.0]), r"\[num_groups, G\]"),
    (torch.tensor([[1, 0]]), "floating-point"),
    (torch.zeros(2, 0), "0 columns"),
    ([[1.0, 0.0]], r"\[num_groups, G\]"),
])
def test_bad_input_is_rejected(bad, match):
    with pytest.raises(ValueError, match=match):
        group_advantages(bad)


def test_population_std_small_inputs():
    assert population_std([]) == 0.0
    assert population_std([3.0]) == 0.0
    assert population_std([1.0, 0.0, 0.0, 1.0]) == 0.5
