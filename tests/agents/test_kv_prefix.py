"""KV reuse across turns: the batched layout with holes, shared prompts, and generation equal to a fresh prefill."""

import pytest
import torch

from agents.hf_policy import HFPolicy
from agents.kv_prefix import PrefixCache, assemble, positions, prefill
from agents.presets import load_preset


@pytest.fixture(scope="module")
def tiny():
    return load_preset("tiny", seed=0)


def fake_kv(n, layers=2, heads=1, dim=2, base=0.0):
    """Per-layer KV whose value at position t is base + t, so a layout can be read back."""
    t = torch.arange(n, dtype=torch.float32).view(1, n, 1).expand(heads, n, dim) + base
    return [(t.clone(), -t.clone()) for _ in range(layers)]


def test_reusable_is_the_common_prefix_and_always_leaves_one_token_to_feed():
    cache = PrefixCache()
    assert cache.reusable("a", [1, 2, 3]) == 0  # unknown key
    cache.put("a", [1, 2, 3, 4], fake_kv(4))
    assert cache.reusable("a", [1, 2, 3, 4, 5, 6]) == 4
    assert cache.reusable("a", [1, 2, 9, 9]) == 2  # a prefix of a cached prefix is valid
    assert cache.reusable("a", [1, 2, 3, 4]) == 3  # the last token must be fed to get its logits
    cache.drop("a")
    assert cache.reusable("a", [1, 2, 3, 4, 5]) == 0 and len(cache) == 0


def test_assemble_lays_out_cached_tokens_then_a_hole_then_new_tokens():
    cache = PrefixCache()
    cache.put("a", [1, 2, 3], fake_kv(3, base=10))
    cache.put("b", [7], fake_kv(1, base=20))
    ids, mask, layers = assemble(cache, ["a", "b", "c"], [[1, 2, 3, 4], [7, 8, 9, 5, 6], [4, 4]], 0,
                                 torch.device("cpu"))
    # P = 3 cached columns (a: 3, b: 1, c: 0), S = 4 new columns (b has 4 new tokens)
    assert ids.tolist() == [[1, 2, 3, 0, 0, 0, 4], [0, 0, 7, 8, 9, 5, 6], [0, 0, 0, 0, 0, 4, 4]]
    assert mask.tolist() == [[1, 1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1, 1]]
    assert positions(mask).tolist() == [[0, 1, 2, 0, 0, 0, 3], [0, 0, 0, 1, 2, 3, 4], [0, 0, 0, 0, 0, 0, 1]]
    keys = layers[0][0][:, 0, :, 0]  # [B, P]
    assert keys.tolist() == [[10, 11, 12], [0, 0, 20], [0, 0, 0]]


def test_a_groups_shared_prompt_is_prefilled_once(tiny):
    cache = PrefixCache()
    prompt = [5, 6, 7, 8, 9]
    prefill(tiny.model, cache, ["g0", "g1", "g2", "x"], [prompt, prompt, prompt, [3, 4, 5]],
            tiny.tokenizer.pad_token_id)
    assert [cache.reusable(k, c) for k, c in (("g0", prompt), ("x", [3, 4, 5]))] == [4, 2]
    assert cache.kv("g0", 4)[0][0].data_ptr() == cache.kv("g2", 4)[0][0].data_ptr()  # one shared copy
    # the prefilled keys are a plain forward's (positions 0..3 of the shared prompt, none of the other row)
    with torch.no_grad():
        ref = tiny.model(torch.tensor([prompt[:4]]), use_cache=True).cache
    torch.testing.assert_close(cache.kv("g1", 4)[1][0], ref.layers[1].keys[0], atol=1e-6, rtol=0)


def test_generation_continued_from_the_cache_equals_a_fresh_prefill(tiny):
    """Greedy turns with reuse (some rows cached, one new, different lengths) match re-prefilling exactly."""
    policy = HFPolicy(tiny, temperature=0, max_new_tokens=12, stop_strings=())
    contexts = [[5, 6, 7, 8, 9, 10, 11], [12, 13, 14], [15, 16, 17, 18, 19]]
    cache = PrefixCache()
    first = policy.generate(contexts[:2], prefixes=cache, keys=["a", "b"])
    assert len(cache) == 2
    turn2 = [contexts[0] + list(first[0].token_ids) + [20, 21], contexts[1] + list(first[1].token_ids) + [22],
             contexts[2]]
    reused = policy.generate(turn2, prefixes=cache, keys=["a", "b", "c"])
    assert cache.reusable("a", turn2[0]) >= len(turn2[0]) - 1  # the prefix grew with the sampled turn
    fresh = policy.generate(turn2)
    for r, f in zip(reused, fresh, strict=True):
        assert r.token_ids == f.token_ids
        torch.testing.assert_close(torch.tensor(r.logprobs), torch.tensor(f.logprobs), atol=1e-5, rtol=0)


def test_prefixes_need_one_key_per_context(tiny):
    policy = HFPolicy(tiny, temperature=0, max_new_tokens=2)
    with pytest.raises(ValueError, match="one key per context"):
        policy.generate([[5, 6], [7, 8]], prefixes=PrefixCache(), keys=["a"])
