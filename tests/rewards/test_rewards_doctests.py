"""Run the reward package's doctests under the plain `pytest` run."""

import doctest
import importlib

import pytest

MODULES = ["", ".normalize", ".graders", ".mra", ".judge", ".terms", ".registry"]


@pytest.mark.parametrize("suffix", MODULES)
def test_doctests(suffix):
    module = importlib.import_module("pyvision_envs.rewards" + suffix)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module.__name__} has no doctests"
    assert result.failed == 0
