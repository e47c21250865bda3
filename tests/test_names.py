import doctest

import pyvision_envs.names as names


def test_doctests():
    result = doctest.testmod(names)
    assert result.attempted > 0 and result.failed == 0


def test_hint_only_when_close():
    assert "Did you mean 'counting'" in names.unknown_name("family", "countin", ["counting", "maze"])
    assert "Did you mean" not in names.unknown_name("family", "qqqq", ["counting", "maze"])
