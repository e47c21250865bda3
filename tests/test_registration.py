import subprocess
import sys
import warnings

import gymnasium as gym
import pytest

import pyvision_envs
from pyvision_envs import registration
from pyvision_envs.registration import IMAGE_FAMILIES, EnvPreset, all_presets, env_ids, register_envs


def test_every_image_family_has_ids_at_every_difficulty():
    from pyvision_envs.tasks import family_names, get_family

    image_families = {n for n in family_names() if get_family(n).modality == "image"}
    assert {family for _, family, _ in IMAGE_FAMILIES} == image_families
    ids = set(env_ids())
    for name, _, _ in IMAGE_FAMILIES:
        assert {f"PyVision/{name}-v0", f"PyVision/{name}-Easy-v0", f"PyVision/{name}-Hard-v0"} <= ids
    assert "PyVision/ImageQA-v0" in ids


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
             "'pyvision_envs.tasks', 'pyvision_envs.rewards', 'agents') if m in sys.modules]; "
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


def test_video_rows_join_the_same_table():
    # The video engineer's rows come from pyvision_envs/envs/video.py; until it exists the table is empty.
    rows = registration.video_presets()
    assert all(isinstance(r, EnvPreset) and r.name.startswith("Video") for r in rows)
    assert [r.id for r in rows] == env_ids()[len(registration.image_presets()):]
