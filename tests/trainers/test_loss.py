import math

import pytest
import torch

from trainers.grpo.loss import AGG_MODES, aggregate, kl_k3, masked_mean, policy_loss

# One token per case, old log-prob 0 so ratio = exp(logprob). clip_low=0.2, clip_high=0.3, dual_clip=3.
# (advantage, ratio, hand-computed per-token loss, which clip fires)
CASES = [
    (1.0, 1.1, -1.1, None),      # inside the trust region: -A * r
    (1.0, 1.5, -1.3, "high"),    # A>0, r>1.3: max(-1.5, -1.3) = -1.3
    (1.0, 0.5, -0.5, None),      # A>0, r<0.8: pessimistic max(-0.5, -0.8) = -0.5, not a clip
    (-1.0, 0.5, 0.8, "low"),     # A<0, r<0.8: max(0.5, 0.8) = 0.8
    (-1.0, 1.5, 1.5, None),      # A<0, r>1.3: max(1.5, 1.3) = 1.5 < dual cap 3
    (-1.0, 4.0, 3.0, "dual"),    # A<0, r=4: max(4, 1.3) = 4 capped at -3 * A = 3
    (-2.0, 4.0, 6.0, "dual"),    # A=-2, r=4: 8 capped at 6
    (0.0, 2.0, 0.0, None),       # A=0: no loss, no clip
]


def _case_tensors():
    adv = torch.tensor([[c[0] for c in CASES]], dtype=torch.float64)
    logp = torch.log(torch.tensor([[c[1] for c in CASES]], dtype=torch.float64)).requires_grad_(True)
    old = torch.zeros_like(logp)
    mask = torch.ones_like(logp)
    return adv, logp, old, mask


def test_every_branch_token_mean_against_hand_values():
    adv, logp, old, mask = _case_tensors()
    loss, stats = policy_loss(logp, old, adv, mask, clip_low=0.2, clip_high=0.3, dual_clip=3.0)
    expected = sum(c[2] for c in CASES) / len(CASES)  # 8.4 / 8
    assert loss.item() == pytest.approx(1.05)
    assert loss.item() == pytest.approx(expected)
    assert stats["clip_frac_high"] == pytest.approx(1 / 8)
    assert stats["clip_frac_low"] == pytest.approx(1 / 8)
    assert stats["clip_frac"] == pytest.approx(2 / 8)
    assert stats["dual_clip_frac"] == pytest.approx(2 / 8)
    assert stats["tokens"] == 8


def test_gradient_only_through_unclipped_tokens():
    adv, logp, old, mask = _case_tensors()
    loss, _ = policy_loss(logp, old, adv, mask, clip_low=0.2, clip_high=0.3, dual_clip=3.0)
    loss.backward()
    # d(-A r)/d logp = -A r for unclipped tokens; clipped and dual-clipped tokens have zero gradient.
    expected = []
    for a, r, _, clip in CASES:
        expected.append(0.0 if clip else -a * r / len(CASES))
    assert torch.allclose(logp.grad, torch.tensor([expected], dtype=torch.float64))


def test_dual_clip_off_lets_negative_loss_grow():
    adv, logp, old, mask = _case_tensors()
    loss, stats = policy_loss(logp, old, adv, mask, clip_low=0.2, clip_high=0.3, dual_clip=None)
    # cases 6 and 7 now contribute 4 and 8 instead of 3 and 6
    assert loss.item() == pytest.approx((8.4 - 3 - 6 + 4 + 8) / 8)
    assert stats["dual_clip_frac"] == 0.0


def test_symmetric_defaults_match_verl_formula():
    # clip 0.2/0.2, dual 3: recompute the verl formula step by step for random tokens
    g = torch.Generator().manual_seed(0)
    logp = torch.randn(4, 6, generator=g, dtype=torch.float64)
    old = torch.randn(4, 6, generator=g, dtype=torch.float64)
    adv = torch.randn(4, generator=g, dtype=torch.float64)
    mask = (torch.rand(4, 6, generator=g) > 0.3).double()
    loss, stats = policy_loss(logp, old, adv, mask)
    a = adv[:, None].expand(4, 6)
    ratio = torch.exp(logp - old)
    l1, l2 = -a * ratio, -a * ratio.clamp(0.8, 1.2)
    c1 = torch.maximum(l1, l2)
    per_tok = torch.where(a < 0, torch.minimum(c1, -a * 3.0), c1)
    assert loss.item() == pytest.approx(((per_tok * mask).sum() / mask.sum()).item())
    verl_clipfrac = ((l2 > l1).double() * mask).sum() / mask.sum()
    assert stats["clip_frac"] == pytest.approx(verl_clipfrac.item())


def test_per_sequence_advantages_broadcast_like_per_token():
    logp = torch.log(torch.tensor([[1.0, 1.5], [0.5, 4.0]]))
    old = torch.zeros(2, 2)
    mask = torch.ones(2, 2)
    per_seq, _ = policy_loss(logp, old, torch.tensor([1.0, -1.0]), mask)
    per_tok, _ = policy_loss(logp, old, torch.tensor([[1.0, 1.0], [-1.0, -1.0]]), mask)
    assert per_seq.item() == pytest.approx(per_tok.item())
    # hand: row 0: -1, -1.2 ; row 1: 0.8, 3.0 (dual) -> mean 1.6 / 4 = 0.4
    assert per_seq.item() == pytest.approx(0.4)


def test_aggregation_modes_with_empty_row():
    values = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0], [1, 1, 1]])
    assert aggregate(values, mask, "token-mean").item() == pytest.approx(27 / 5)
    # the empty row is left out of the sequence mean (2 sequences, not 3)
    assert aggregate(values, mask, "seq-mean-token-mean").item() == pytest.approx((1.5 + 8.0) / 2)
    assert aggregate(values, mask, "seq-mean-token-sum").item() == pytest.approx((3.0 + 24.0) / 2)


def test_policy_loss_aggregation_modes_hand_values():
    # ratio 1 everywhere: per-token loss is -A
    adv = torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [-1.0, -2.0, -6.0]])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0], [1, 1, 1]])
    lp = torch.zeros(3, 3, requires_grad=True)
    expected = {
        "token-mean": -(1 + 2 - 1 - 2 - 6) / 5,
        "seq-mean-token-mean": -(1.5 - 3.0) / 2,
        "seq-mean-token-sum": -(3.0 - 9.0) / 2,
    }
    for agg in AGG_MODES:
        loss, _ = policy_loss(lp, torch.zeros(3, 3), adv, mask, agg=agg)
        assert loss.item() == pytest.approx(expected[agg]), agg


@pytest.mark.parametrize("agg", AGG_MODES)
def test_denominator_makes_micro_batches_sum_to_full_batch(agg):
    g = torch.Generator().manual_seed(1)
    values = torch.randn(6, 5, generator=g)
    mask = (torch.rand(6, 5, generator=g) > 0.4).int()
    mask[2] = 0  # an empty row in the first micro-batch
    full = aggregate(values, mask, agg)
    denom = mask.sum() if agg == "token-mean" else (mask.sum(-1) > 0).sum()
    parts = aggregate(values[:3], mask[:3], agg, denom) + aggregate(values[3:], mask[3:], agg, denom)
    assert parts.item() == pytest.approx(full.item(), rel=1e-6)


@pytest.mark.parametrize("agg", AGG_MODES)
def test_fractional_denominator_is_used_as_given(agg):
    """Two processes, one sampled token between them: each divides by 1 / 2, as verl's agg_loss with dp_size=2."""
    assert aggregate(torch.tensor([[2.0]]), torch.tensor([[1.0]]), agg, denominator=0.5).item() == 4.0
    assert aggregate(torch.tensor([[2.0]]), torch.tensor([[1.0]]), agg, denominator=torch.tensor(0.25)).item() == 8.0
    # only an exact 0 (no sampled token anywhere) is replaced, and its sum is 0 as well
    assert aggregate(torch.tensor([[2.0]]), torch.tensor([[0.0]]), agg, denominator=0).item() == 0.0


@pytest.mark.parametrize("agg", AGG_MODES)
def test_all_masked_out_gives_zero_loss_with_graph(agg):
    lp = torch.randn(2, 3, requires_grad=True)
    loss, stats = policy_loss(lp, torch.zeros(2, 3), torch.tensor([1.0, -1.0]), torch.zeros(2, 3), agg=agg)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(lp.grad, torch.zeros(2, 3))
    assert stats["tokens"] == 0 and stats["clip_frac"] == 0.0 and stats["approx_kl"] == 0.0


def test_masked_tokens_do_not_change_loss_or_stats():
    lp = torch.log(torch.tensor([[1.1, 100.0]]))
    mask = torch.tensor([[1, 0]])
    loss, stats = policy_loss(lp, torch.zeros(1, 2), torch.tensor([-1.0]), mask)
    assert loss.item() == pytest.approx(1.1)
    assert stats["dual_clip_frac"] == 0.0 and stats["ratio_mean"] == pytest.approx(1.1)


def test_kl_stats_and_entropy():
    lp = torch.tensor([[math.log(2.0), 0.0, 5.0]])
    mask = torch.tensor([[1, 1, 0]])
    entropy = torch.tensor([[1.0, 3.0, 100.0]])
    _, stats = policy_loss(lp, torch.zeros(1, 3), torch.tensor([1.0]), mask, entropy=entropy)
    assert stats["approx_kl"] == pytest.approx(-math.log(2.0) / 2)
    assert stats["kl_k3"] == pytest.approx((2.0 - 1.0 - math.log(2.0)) / 2)
    assert stats["entropy"] == pytest.approx(2.0)
    _, no_ent = policy_loss(lp, torch.zeros(1, 3), torch.tensor([1.0]), mask)
    assert "entropy" not in no_ent


def test_kl_k3_hand_values_and_clamp():
    logp = torch.tensor([[0.0, 1.0, 0.0, 0.3]])
    ref = torch.tensor([[1.0, 0.0, 5.0, 0.3]])
    mask = torch.tensor([[1, 1, 1, 1]])
    per = [math.e - 2.0, math.exp(-1.0), 10.0, 0.0]  # exp(d)-d-1; d=5 gives 142.4 clamped to 10
    assert kl_k3(logp, ref, mask).item() == pytest.approx(sum(per) / 4)
    assert kl_k3(logp, ref, torch.tensor([[1, 1, 0, 0]])).item() == pytest.approx((per[0] + per[1]) / 2)


def test_kl_k3_gradient_pushes_toward_reference():
    logp = torch.tensor([[0.0]], requires_grad=True)
    kl_k3(logp, torch.tensor([[1.0]]), torch.tensor([[1]])).backward()
    # d/dlogp [exp(r - l) - (r - l) - 1] = -exp(r - l) + 1 = 1 - e < 0: descent raises logp toward ref
    assert logp.grad.item() == pytest.approx(1.0 - math.e)


def test_masked_mean_empty():
    assert masked_mean(torch.ones(2, 2), torch.zeros(2, 2)).item() == 0.0


@pytest.mark.parametrize("kwargs, match", [
    ({"agg": "mean"}, "aggregation mode"),
    ({"clip_low": 1.0}, "clip_low"),
    ({"clip_high": -0.1}, "clip_high"),
    ({"dual_clip": 1.0}, "dual_clip"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        policy_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.ones(1), torch.ones(1, 2), **kwargs)


@pytest.mark.parametrize("shapes, match", [
    (((1, 2), (1, 3), (1,), (1, 2)), "old_logprobs"),
    (((1, 2), (1, 2), (2,), (1, 2)), "advantages"),
    (((1, 2), (1, 2), (1,), (2, 2)), "mask"),
    (((2,), (2,), (1,), (2,)), r"\[B, T\]"),
])
def test_bad_shapes(shapes, match):
    lp, old, adv, mask = (torch.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        policy_loss(lp, old, adv, mask)


def test_bf16_inputs_are_computed_in_float32():
    # 300 tokens: bf16 cannot represent 299 or 300 exactly, float32 can
    lp = torch.zeros(1, 300, dtype=torch.bfloat16, requires_grad=True)
    adv = torch.ones(1, 300, dtype=torch.bfloat16)
    adv[0, 0] = 0.0
    loss, stats = policy_loss(lp, torch.zeros(1, 300, dtype=torch.bfloat16), adv, torch.ones(1, 300))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(-299 / 300, rel=1e-6)
    assert stats["tokens"] == 300
    loss.backward()
    assert lp.grad.dtype == torch.bfloat16
