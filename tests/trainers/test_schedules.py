import math

import pytest

from trainers.config import ConfigError, SFTConfig
from trainers.schedules import lr_factor


def test_warmup_then_constant():
    f = lr_factor("constant", 3, 10)
    assert [f(s) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert f(9) == 1.0


def test_linear_and_cosine_decay_after_warmup():
    lin, cos = lr_factor("linear", 2, 10), lr_factor("cosine", 2, 10)
    assert lin(0) == pytest.approx(1 / 3) and cos(1) == pytest.approx(2 / 3)
    assert lin(2) == cos(2) == 1.0  # the first step after warm-up runs at the full rate
    assert lin(6) == pytest.approx(0.5) and cos(6) == pytest.approx(0.5)  # half-way through the 8 decay steps
    assert lin(9) == pytest.approx(1 / 8) and cos(9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 7 / 8)))
    assert cos(9) > 0  # the last step still learns


def test_no_decay_room_and_bad_names():
    assert lr_factor("cosine", 5, 5)(7) == 1.0
    with pytest.raises(ValueError, match="lr_schedule='step'"):
        lr_factor("step", 0, 10)
    with pytest.raises(ConfigError, match="lr_schedule"):
        SFTConfig(lr_schedule="cosin")
