import subprocess
import sys
import warnings

import gymnasium as gym
import pytest

import pyvision_envs
from pyvision_envs import catalog
from pyvision_envs.registration import EnvPreset, all_presets, env_ids, register_envs


def test_every_catalog_family_has_ids_at_every_difficulty_and_nothing_else_is_registered():
    expected = ["PyVision/ImageQA-v0", "PyVision/VideoQA-v0"]
    for family in catalog.FAMILIES:
        expected += [f"PyVision/{family.stem}{s}-v0" for s in ("", "-Easy", "-Hard")]
        spec = gym.spec(f"PyVision/{family.stem}-Hard-v0")
        assert spec.entry_point == catalog.FAMILY_ENVS[family.modality]
        assert spec.kwargs == {"family": family.name, "difficulty": "hard"}
    assert sorted(env_ids()) == sorted(expected)
    assert sorted(i for i in gym.registry if i.startswith("PyVision/")) == sorted(expected)


def test_ids_are_registered_with_lazy_string_entry_points():
    for preset in all_presets():
        spec = gym.spec(preset.id)
        assert isinstance(spec.entry_point, str) and ":" in spec.entry_point
        assert spec.kwargs == preset.kwargs
        assert spec.max_episode_steps is None  # the env's own max_turns ends episodes, with the reward paid


def test_register_is_idempotent_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert register_envs() == env_ids() == pyvision_envs.env_ids()


def test_preset_ids():
    assert EnvPreset("Counting-Hard", "m:C").id == "PyVision/Counting-Hard-v0"
    assert EnvPreset("X", "m:C", version=3).id == "PyVision/X-v3"


def test_import_is_cheap():
    probe = ("import sys, pyvision_envs, gymnasium as gym; "
             "heavy = [m for m in ('torch', 'transformers', 'matplotlib', 'decord', 'av', 'pyvision_envs.sandbox', "
             "'pyvision_envs.tasks', 'pyvision_envs.rewards', 'pyvision_envs.envs', 'agents') if m in sys.modules]; "
             "assert not heavy, heavy; assert 'PyVision/Counting-v0' in gym.registry; print('ok')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_make_uses_presets_and_lets_keywords_override_them():
    env = gym.make("PyVision/Counting-Hard-v0", max_turns=30)
    try:
        assert env.unwrapped.family.difficulty == "hard" and env.unwrapped.family.name == "counting"
        assert env.unwrapped.config.max_turns == 30
    finally:
        env.close()
    env = gym.make("PyVision/Maze-v0", difficulty="easy")
    assert env.unwrapped.family.difficulty == "easy"
    env.close()


def test_make_errors_are_actionable():
    with pytest.raises(TypeError, match="Did you mean 'max_turns'"):
        gym.make("PyVision/Counting-v0", max_turn=3)
    with pytest.raises(TypeError, match="data_path"):
        gym.make("PyVision/ImageQA-v0")
    with pytest.raises(KeyError, match="Did you mean 'counting'"):
        gym.make("PyVision/Counting-v0", family="countin")
    with pytest.raises(gym.error.Error, match="Counting"):
        gym.make("PyVision/Countin-v0")


def test_ids_keep_their_listing_order():
    ids = env_ids()
    assert ids[:3] == ["PyVision/VisualSearch-v0", "PyVision/VisualSearch-Easy-v0", "PyVision/VisualSearch-Hard-v0"]
    assert ids[3:6] == ["PyVision/VisualSearchMix-v0", "PyVision/VisualSearchMix-Easy-v0",
                        "PyVision/VisualSearchMix-Hard-v0"]
    assert ids.index("PyVision/ImageQA-v0") == 21 and ids[22] == "PyVision/VideoTiming-v0"
    assert ids[-1] == "PyVision/VideoQA-v0" and len(ids) == 3 * len(catalog.FAMILIES) + 2
