"""The facades are allow-lists: exactly the reviewed names, each still present in the installed library."""

import importlib

import matplotlib
import pytest

from pyvision_envs.sandbox.allowlists import ALLOW
from pyvision_envs.sandbox.facades import Facade, build_all, is_blocked_name

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def facades():
    return build_all(lambda *a: None, lambda *a: None)


@pytest.mark.parametrize("module", sorted(ALLOW))
def test_every_allowed_name_exists_and_is_offered(module, facades):
    real = importlib.import_module(module)
    missing = [n for n in ALLOW[module] if not hasattr(real, n)]
    assert not missing, f"{module} no longer has {missing}: review pyvision_envs/sandbox/allowlists.py"
    offered = {n for n, v in object.__getattribute__(facades[module], "_attrs").items() if not isinstance(v, Facade)}
    assert offered == {n for n in ALLOW[module] if not is_blocked_name(n)}


@pytest.mark.parametrize("module, name", [
    ("functools", "update_wrapper"), ("functools", "wraps"), ("functools", "singledispatch"),
    ("functools", "singledispatchmethod"), ("collections", "UserString"), ("statistics", "namedtuple"),
    ("matplotlib.pyplot", "getp"), ("matplotlib.pyplot", "switch_backend"), ("numpy", "save"),
])
def test_name_driven_or_capability_names_are_not_offered(module, name, facades):
    with pytest.raises(AttributeError):
        getattr(facades[module], name)


def test_functools_offers_exactly_the_six_safe_helpers(facades):
    assert dir(facades["functools"]) == sorted(
        ["reduce", "partial", "lru_cache", "cache", "cmp_to_key", "total_ordering"])
