import copy
import doctest
import pickle

import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from PIL import Image

from pyvision_envs import spaces
from pyvision_envs.protocol import Answer, Code, Malformed, parse_action
from pyvision_envs.spaces import ObservationSpace, TurnSpace
from pyvision_envs.types import Observation


def test_doctests():
    assert doctest.testmod(spaces).failed == 0


def test_turn_space_contains():
    space = TurnSpace(max_length=10)
    assert "" in space and "0123456789" in space and "中文→√" in space
    assert "01234567890" not in space
    assert b"bytes" not in space and 3 not in space and None not in space


def test_turn_space_samples_are_members_of_every_kind_and_seeded():
    space = TurnSpace(seed=7)
    samples = [space.sample() for _ in range(300)]
    assert all(s in space for s in samples)
    kinds = {type(parse_action(s)) for s in samples}
    assert kinds == {Code, Answer, Malformed}
    again = TurnSpace(seed=7)
    assert [again.sample() for _ in range(300)] == samples
    short = TurnSpace(max_length=5, seed=1)
    assert all(len(short.sample()) <= 5 for _ in range(50))


def test_spaces_refuse_masks_and_bad_limits():
    with pytest.raises(NotImplementedError, match="mask"):
        TurnSpace().sample(mask=np.ones(3))
    with pytest.raises(NotImplementedError, match="mask"):
        ObservationSpace().sample(probability=np.ones(3))
    with pytest.raises(ValueError, match="max_length"):
        TurnSpace(max_length=0)
    with pytest.raises(ValueError, match="max_images"):
        ObservationSpace(max_images=-1)


def _rgb(w, h, value=0):
    return Image.new("RGB", (w, h), (value, value, value))


def test_observation_space_contains():
    space = ObservationSpace(max_text_length=20, max_images=2, max_image_side=64)
    assert Observation("hi") in space
    assert Observation("hi", (_rgb(64, 1), _rgb(1, 64))) in space
    assert Observation("x" * 21) not in space
    assert Observation("hi", (_rgb(4, 4),) * 3) not in space
    assert Observation("hi", (_rgb(65, 4),)) not in space
    assert Observation("hi", (Image.new("L", (4, 4)),)) not in space
    assert Observation("hi", [_rgb(4, 4)]) not in space  # images must be a tuple
    assert Observation("hi", (np.zeros((4, 4, 3), np.uint8),)) not in space
    assert "hi" not in space and ("hi", ()) not in space


def test_observation_space_samples_are_members_and_seeded():
    space = ObservationSpace(max_images=3, seed=3)
    samples = [space.sample() for _ in range(50)]
    assert all(s in space for s in samples)
    assert any(s.images for s in samples) and any(not s.images for s in samples)
    again = ObservationSpace(max_images=3, seed=3)
    assert all(data_equivalence(a, again.sample()) for a in samples)


def test_observations_compare_by_value_as_gymnasium_checks_them():
    a = Observation("t", (_rgb(3, 3, 9),))
    same = Observation("t", (_rgb(3, 3, 9),))
    other_pixels = Observation("t", (_rgb(3, 3, 10),))
    assert data_equivalence(a, same, exact=True)
    assert not data_equivalence(a, other_pixels)
    assert not data_equivalence(a, Observation("u", a.images))
    assert data_equivalence(a, copy.deepcopy(a), exact=True)
    assert data_equivalence(a, pickle.loads(pickle.dumps(a)), exact=True)


def test_space_equality_and_pickling():
    assert TurnSpace(100) == TurnSpace(100) != TurnSpace(101)
    assert ObservationSpace(max_images=4) == ObservationSpace(max_images=4) != ObservationSpace(max_images=5)
    space = pickle.loads(pickle.dumps(ObservationSpace(max_images=4, seed=1)))
    assert space == ObservationSpace(max_images=4) and space.sample() in space
    assert not TurnSpace().is_np_flattenable and not ObservationSpace().is_np_flattenable
