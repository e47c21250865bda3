"""LoRA through peft: the ``lora`` section, adapters that start at the base policy, training, merged export."""

from __future__ import annotations

import copy

import pytest
import torch

from agents.presets import load_preset
from trainers.config import ConfigError, GRPOConfig, SFTConfig, load_config
from trainers.lora import LoRASettings, apply_lora, is_lora, merge_lora

pytest.importorskip("peft")


def test_lora_is_off_by_default_and_set_by_overrides():
    assert not GRPOConfig().lora.enabled and not SFTConfig().lora.enabled
    c = load_config(None, ["lora.r=8", "lora.alpha=16", "lora.targets=q_proj, v_proj"])
    assert (c.lora.r, c.lora.alpha, c.lora.target_modules) == (8, 16.0, ["q_proj", "v_proj"])
    assert load_config(None, ["lora.r=4"], cls=SFTConfig).lora.target_modules == "all-linear"


@pytest.mark.parametrize("override, match", [
    ("lora.r=-1", "LoRASettings.r=-1: must be >= 0"),
    ("lora.alpha=0", "LoRASettings.alpha=0.0: must be > 0"),
    ("lora.targets=q_proj;v_proj", "LoRASettings.targets='q_proj;v_proj': give 'all-linear' or comma-separated"),
    ("lora.rank=8", r"unknown LoRASettings key 'rank'; known: \['alpha', 'r', 'targets'\]"),
])
def test_bad_lora_values_name_the_field(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, [override])


def test_off_returns_the_model_itself():
    model = load_preset("tiny", seed=0).model
    assert apply_lora(model, LoRASettings()) is model and merge_lora(model) is model and not is_lora(model)


def test_adapters_start_at_the_base_policy_train_alone_and_merge_into_a_plain_model():
    bundle = load_preset("tiny", seed=0)
    base = bundle.model
    ids = torch.tensor([[5, 6, 7, 8, 9, 10]])
    with torch.no_grad():
        before = base(ids).logits
    wrapped = apply_lora(base, LoRASettings(r=4, alpha=8, targets="q_proj,v_proj"))
    trainable = {n for n, p in wrapped.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    assert sum(p.numel() for p in wrapped.parameters() if p.requires_grad) < 0.05 * sum(
        p.numel() for p in wrapped.parameters())
    with torch.no_grad():
        torch.testing.assert_close(wrapped(input_ids=ids).logits, before, atol=0, rtol=0)  # B = 0: exactly the base
    opt = torch.optim.AdamW([p for p in wrapped.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        loss = wrapped(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    with torch.no_grad():
        adapted = base(ids).logits  # the base object holds the adapters: a sampler on bundle.model sees them
    assert (adapted - before).abs().max() > 1e-3
    merged = merge_lora(wrapped)
    assert merged is base and not is_lora(merged)
    assert not any("lora_" in k for k in merged.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, adapted, atol=1e-5, rtol=0)


def test_unknown_target_lists_the_models_layers():
    with pytest.raises(ConfigError, match=r"lora.targets='qkv'.*'o_proj', 'q_proj'"):
        apply_lora(load_preset("tiny", seed=0).model, LoRASettings(r=4, targets="qkv"))


def test_vision_tower_gets_no_adapter_when_frozen():
    wrapped = apply_lora(load_preset("tiny-vl", seed=0).model, LoRASettings(r=4))
    names = [n for n, _ in wrapped.named_modules() if n.endswith("lora_A")]
    assert names and not any(".visual." in n for n in names)


def test_grpo_with_lora_trains_adapters_only_and_exports_merged_weights(player, tmp_path):
    from tests.trainers.test_grpo_trainer import FAST
    from trainers.grpo.trainer import GRPOTrainer
    from trainers.metrics import read_metrics

    bundle = copy.deepcopy(player)
    before = {k: v.clone() for k, v in bundle.model.state_dict().items()}
    cfg = load_config(None, [*FAST, f"output_dir={tmp_path}", "steps=2", "save_every=0", "lora.r=8",
                             "lora.alpha=16", "lr=1e-2"])
    result = GRPOTrainer(cfg, bundle=bundle).train()
    updated = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["update/skipped"] == 0]
    assert updated
    for r in updated:  # the sampler and the loss run the same adapted modules: the ratio starts at 1
        assert abs(r["loss/ratio_mean"] - 1.0) < 1e-4 and abs(r["loss/approx_kl"]) < 1e-4
    assert not is_lora(bundle.model)  # merged in place for the evaluation that follows
    saved = load_preset(str(result.policy_dir)).model.state_dict()
    assert set(saved) == set(before)  # a plain model: no adapter keys
    assert any(not torch.equal(before[k], saved[k]) for k in before), "the adapters were not merged in"


def test_sft_with_lora_lowers_the_loss_and_saves_a_plain_model(tmp_path):
    from trainers.record import record_episodes
    from trainers.sft import SFTTrainer

    data = tmp_path / "expert.jsonl"
    record_episodes("PyVision/Counting-Easy-v0", data, agent="expert", episodes=3, seed=0,
                    env_kwargs={"image_in_context": False}, progress=False)
    cfg = SFTConfig(model="tiny", data_path=str(data), output_dir=str(tmp_path / "run"), lr=2e-2, steps=12,
                    batch_size=2, max_seq_tokens=600, save_every=0, progress=False,
                    lora=LoRASettings(r=16, alpha=32))
    trainer = SFTTrainer(cfg)
    result = trainer.train()
    first, last = sum(result.losses[:3]) / 3, sum(result.losses[-3:]) / 3
    assert last < first - 0.1, result.losses  # slow on random weights: the embeddings stay frozen
    assert not is_lora(trainer.bundle.model)
    saved = load_preset(str(result.final_dir)).model.state_dict()
    base = load_preset("tiny", seed=0).model.state_dict()
    assert set(saved) == set(base)  # no adapter keys
    assert torch.equal(saved["model.embed_tokens.weight"], base["model.embed_tokens.weight"])  # not a target
    assert not torch.equal(saved["model.layers.0.self_attn.q_proj.weight"],
                           base["model.layers.0.self_attn.q_proj.weight"])  # the adapters, merged in
