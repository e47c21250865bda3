import dataclasses

import pytest
import yaml

from trainers.config import ConfigError, GRPOConfig, SFTConfig, field_docs, load_config, save_config
from trainers.grpo.loss import LossSettings
from trainers.grpo.ofr import OFRSettings
from trainers.rollout import RolloutSettings
from trainers.settings import apply_override, parse_kv


def write(tmp_path, text, name="run.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_are_the_paper_recipe():
    c = GRPOConfig()
    assert (c.batch.group_size, c.batch.train_batch, c.batch.gen_batch, c.batch.mode) == (8, 16, 32, "ofr")
    assert (c.lr, c.loss.clip_low, c.loss.clip_high, c.loss.dual_clip, c.loss.agg) == (1e-6, 0.2, 0.2, 3.0, "token-mean")
    assert (c.epochs, c.rollout.temperature, c.loss.kl_coef, c.batch.normalize_std, c.freeze_vision) == \
        (1, 1.0, 0.0, False, True)


@pytest.mark.parametrize("cls", [GRPOConfig, SFTConfig])
def test_every_field_has_an_attribute_docstring(cls):
    docs = field_docs(cls)
    missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
    for section in (OFRSettings, RolloutSettings, LossSettings):
        missing += [f.name for f in dataclasses.fields(section) if not field_docs(section).get(f.name)]
    assert missing == []
    assert "rollouts per prompt" in docs["batch.group_size"] if cls is GRPOConfig else "expert" in docs["data_path"]


def test_yaml_and_typed_overrides(tmp_path):
    p = write(tmp_path, "lr: 1e-5\nsteps: 3\nenv_kwargs:\n  difficulty: 1\n  size: 64\nmodel: tiny\n"
                        "batch:\n  max_rounds: 4\n")
    c = load_config(p, ["batch.group_size=4", "loss.dual_clip=none", "batch.filter_no_image=yes",
                        "rollout.temperature=0.7", "env_kwargs.difficulty=2", "env_kwargs.colors.n=3",
                        "output_dir=/tmp/x"])
    assert c.lr == 1e-5 and isinstance(c.lr, float)  # PyYAML reads "1e-5" as a string; coerced
    assert c.steps == 3 and c.batch.group_size == 4 and c.loss.dual_clip is None and c.batch.filter_no_image
    assert c.batch.max_rounds == 4 and c.batch.gen_batch == 32  # the file's section kept, the rest defaults
    assert c.rollout.temperature == 0.7 and c.output_dir == "/tmp/x"
    assert c.env_kwargs == {"difficulty": 2, "size": 64, "colors": {"n": 3}}


def test_int_given_for_float_field_becomes_float(tmp_path):
    c = load_config(write(tmp_path, "lr: 1\nloss: {clip_high: 0}\n"), [])
    assert isinstance(c.lr, float) and isinstance(c.loss.clip_high, float)


def test_no_file_means_defaults():
    c = load_config(None, ["steps=7"])
    assert c.steps == 7 and c.batch.group_size == 8


def test_whole_mapping_override():
    c = load_config(None, ["env_kwargs={difficulty: 3, strict: true}"])
    assert c.env_kwargs == {"difficulty": 3, "strict": True}


def test_unknown_key_in_file_says_did_you_mean(tmp_path):
    with pytest.raises(ConfigError, match=r"run.yaml: unknown GRPOConfig key 'gorup_size'.*Did you mean 'batch.group_size'"):
        load_config(write(tmp_path, "gorup_size: 4\n"), [])
    with pytest.raises(ConfigError, match=r"run.yaml: batch: unknown OFRSettings key 'max_round'.*'max_rounds'"):
        load_config(write(tmp_path, "batch: {max_round: 4}\n"), [])


def test_unknown_override_says_did_you_mean():
    with pytest.raises(ConfigError, match=r"unknown GRPOConfig key 'temprature'.*Did you mean 'rollout.temperature'"):
        load_config(None, ["temprature=0.5"])
    with pytest.raises(ConfigError, match=r"known: \['batch', 'batch.filter_broken',"):
        load_config(None, ["zzzzzz=1"])
    with pytest.raises(ConfigError, match=r"unknown RolloutSettings key 'temprature'.*Did you mean 'temperature'"):
        load_config(None, ["rollout.temprature=0.5"])


@pytest.mark.parametrize("override, match", [
    ("batch.group_size=1", r"GRPOConfig.batch.group_size=1: GRPO needs at least 2.*set batch.group_size >= 2"),
    ("batch.group_size=two", r"group_size='two': expected a whole number"),
    ("steps=2.5", "expected a whole number"),
    ("lr=fast", "expected a number"),
    ("bf16=maybe", "expected true or false"),
    ("batch.mode=rank", r"OFRSettings.mode='rank': is not a batching mode; use one of ofr, filter, none"),
    ("loss.agg=mean", "use one of token-mean"),
    ("loss.dual_clip=1.0", "dual_clip=1.0 must be > 1"),
    ("loss.clip_low=1.5", "clip_low"),
    ("batch.cut=groups", r"OFRSettings.cut='groups': is not a cut rule; use one of whole-groups, truncate"),
    ("lr=0", "lr=0.0: must be > 0"),
    ("rollout.max_trajectory_tokens=100", "max_trajectory_tokens=100: must exceed max_new_tokens=512"),
    ("rollout.temperature=0", "rollout.temperature=0.0: must be > 0"),
    ("env_id=", "env_id='': is empty"),
    ("steps", "must look like key=value"),
    ("lr.x=1", "lr is not a mapping"),
    ("batch..mode=ofr", "must look like key=value"),
    ("env_kwargs=[1, 2]", "expected a mapping"),
])
def test_bad_values_name_the_field_and_the_fix(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, [override])


def test_gen_batch_below_train_batch_is_allowed_but_must_be_fillable():
    c = GRPOConfig(batch=OFRSettings(gen_batch=4, train_batch=16, max_rounds=8))
    assert c.batch.gen_batch < c.batch.train_batch
    with pytest.raises(ConfigError, match=r"max_rounds \* gen_batch = 12 prompts can never fill train_batch=16"):
        load_config(None, ["batch.gen_batch=4", "batch.train_batch=16", "batch.max_rounds=3"])
    OFRSettings(gen_batch=4, train_batch=16, max_rounds=3, mode="none")  # plain GRPO: one round of train_batch


def test_direct_construction_is_validated_too():
    with pytest.raises(ConfigError, match="GRPOConfig.steps=0: must be >= 1"):
        GRPOConfig(steps=0)
    with pytest.raises(ConfigError, match="expected a whole number"):
        OFRSettings(group_size="8x")
    with pytest.raises(ConfigError, match="LossSettings"):
        GRPOConfig(loss={"clip_lo": 0.1})  # a section given as a mapping is built (and checked) too


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", [])
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+, column \d+ is not valid YAML"):
        load_config(write(tmp_path, "lr: 1\nsteps: [1,\n", "bad.yaml"), [])
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- 1\n- 2\n", "list.yaml"), [])
    with pytest.raises(ConfigError, match=r"v.yaml: GRPOConfig.batch.group_size=1"):
        load_config(write(tmp_path, "batch: {group_size: 1}\n", "v.yaml"), [])


def test_sft_config(tmp_path):
    c = load_config(write(tmp_path, "data_path: data/expert.jsonl\nsteps: 0\n"), ["batch_size=4",
                    "grad_accum=2"], cls=SFTConfig)
    assert c.steps == 0 and c.lr == 1e-5 and c.output_dir == "runs/sft" and c.batch_size == 4
    assert load_config(None, ["data_path=none"], cls=SFTConfig).data_path is None
    with pytest.raises(ConfigError, match="grad_accum=3: must divide batch_size=8"):
        load_config(None, ["grad_accum=3"], cls=SFTConfig)
    for cls in (SFTConfig, GRPOConfig):  # two ways to cut micro-batches: one must go, not be silently ignored
        with pytest.raises(ConfigError, match="grad_accum=2: and micro_batch_tokens=512 both cut micro-batches"):
            load_config(None, ["grad_accum=2", "micro_batch_tokens=512"], cls=cls)
    with pytest.raises(ConfigError, match="Did you mean 'batch.group_size'"):
        load_config(None, ["group_sizes=4"], cls=GRPOConfig)
    with pytest.raises(ConfigError, match="unknown SFTConfig key 'group_size'"):
        load_config(None, ["group_size=4"], cls=SFTConfig)
    with pytest.warns(DeprecationWarning, match="'temperature' is deprecated and has no effect"):
        assert load_config(None, ["temperature=0.5"], cls=SFTConfig).steps == 0  # SFT never sampled


@pytest.mark.parametrize("old, new, value, read", [
    ("max_rounds", "batch.max_rounds", "3", lambda c: c.batch.max_rounds == 3),
    ("tool_reward", "batch.train_on_tool_reward", "false", lambda c: c.batch.train_on_tool_reward is False),
    ("max_context_tokens", "rollout.max_trajectory_tokens", "2048", lambda c: c.rollout.max_trajectory_tokens == 2048),
    ("clip_low", "loss.clip_low", "0.1", lambda c: c.loss.clip_low == 0.1),
    ("temperature", "rollout.temperature", "0.7", lambda c: c.rollout.temperature == 0.7),
])
def test_old_flat_keys_are_deprecated_aliases(tmp_path, old, new, value, read):
    with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated; write '{new}'"):
        assert read(load_config(None, [f"{old}={value}"]))
    with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated; write '{new}'"):
        assert read(load_config(write(tmp_path, f"{old}: {value}\n"), []))


def test_one_override_parser_for_configs_and_free_mappings():
    tree = {}
    apply_override(tree, "batch.max_rounds=3", GRPOConfig)
    apply_override(tree, "env_kwargs.colors.n=3", GRPOConfig)
    assert tree == {"batch": {"max_rounds": "3"}, "env_kwargs": {"colors": {"n": 3}}}  # typed later, by field
    assert parse_kv(["max_turns=30", "family=counting", "strict=true"]) == \
        {"max_turns": 30, "family": "counting", "strict": True}
    with pytest.raises(ConfigError, match="must look like key=value"):
        parse_kv(["oops"])


def test_sections_hold_their_fields_once():
    """No field is declared both in a section and at the top level of GRPOConfig."""
    top = {f.name for f in dataclasses.fields(GRPOConfig)}
    for section in (OFRSettings, RolloutSettings, LossSettings):
        assert not top & {f.name for f in dataclasses.fields(section)}, section


def test_the_forks_cut_and_std_are_batch_settings(tmp_path):
    """``batch.cut`` and ``batch.unbiased_std`` are declared once, in OFRSettings, and read from overrides and YAML."""
    fork = load_config(None, ["batch.cut=truncate", "batch.normalize_std=true", "batch.unbiased_std=true"]).batch
    assert (fork.cut, fork.normalize_std, fork.unbiased_std) == ("truncate", True, True)
    assert load_config(write(tmp_path, "batch:\n  cut: truncate\n"), []).batch.cut == "truncate"
    assert GRPOConfig().batch.cut == "whole-groups" and GRPOConfig().batch.unbiased_std is False


def test_save_config_round_trips(tmp_path):
    c = load_config(None, ["env_kwargs.difficulty=2", "loss.dual_clip=none", "lr=3e-6", "batch.max_rounds=5"])
    p = save_config(c, tmp_path / "out" / "config.yaml")
    saved = yaml.safe_load(p.read_text())
    assert saved["lr"] == 3e-6 and saved["batch"]["max_rounds"] == 5 and saved["loss"]["dual_clip"] is None
    assert load_config(p, []) == c


def test_default_env_id_is_registered():
    import gymnasium

    import pyvision_envs  # noqa: F401  (registers the ids)

    assert GRPOConfig().env_id in gymnasium.registry
    assert SFTConfig().env_id in gymnasium.registry


def test_lora_with_the_served_engine_is_refused_by_name():
    # the served engine pushes full weights; adapters would leave the server sampling from the base model
    with pytest.raises(ConfigError, match="lora.r=8 with rollout.engine='vllm'"):
        load_config(None, ["lora.r=8", "rollout.engine=vllm"])
    assert load_config(None, ["lora.r=8"]).lora.r == 8
