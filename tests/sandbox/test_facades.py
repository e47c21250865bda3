"""The facades are allow-lists: exactly the reviewed names (plus reviewed stand-ins), each still present in the
installed library."""

import importlib
import sys

import matplotlib
import pytest

from pyvision_envs.sandbox import safecalls
from pyvision_envs.sandbox.allowlists import ALLOW
from pyvision_envs.sandbox.allowlists_tools import ALLOW_TOOLS
from pyvision_envs.sandbox.facades import OPTIONAL, Absent, Facade, build_all, build_tree, is_blocked_name
from pyvision_envs.sandbox.guards import Guards

matplotlib.use("Agg")
EVERY = {**ALLOW, **ALLOW_TOOLS}
# Names a facade offers beyond its allow-list: the fork server's hooks and safecalls' stand-ins.
STAND_INS = {
    "PIL.Image": {"open"}, "PIL.ImageFont": {"truetype"}, "functools": {"wraps", "update_wrapper"},
    "matplotlib.pyplot": {"show", "savefig"},
    "scipy.spatial": {"ConvexHull", "Delaunay", "Voronoi", "HalfspaceIntersection"},
    "cv2": {"FlannBasedMatcher", "FlannBasedMatcher_create"},
}


@pytest.fixture(scope="module")
def facades():
    return build_all(lambda *a: None, lambda *a: None)


def offered(facade):
    return {n: v for n, v in object.__getattribute__(facade, "_attrs").items() if not isinstance(v, Facade)}


@pytest.mark.parametrize("module", sorted(EVERY))
def test_every_allowed_name_exists_and_is_offered(module, facades):
    if isinstance(facades[module], Absent):
        pytest.skip(f"{module.split('.')[0]} is not installed (the tools extra)")
    real = importlib.import_module(module)
    missing = [n for n in EVERY[module] if not hasattr(real, n)]
    assert not missing, f"{module} no longer has {missing}: review pyvision_envs/sandbox/allowlists*.py"
    names = offered(facades[module])
    allowed = {n for n in EVERY[module] if not is_blocked_name(n)}
    assert allowed <= set(names)
    beyond = {n for n in set(names) - allowed if not (module == "cv2" and type(names[n]) in (int, float))}
    assert beyond <= STAND_INS.get(module, set())
    for name in STAND_INS.get(module, ()):
        assert names[name] is not getattr(real, name, None), f"{module}.{name} must be the stand-in"


@pytest.mark.parametrize("module, name", [
    ("functools", "singledispatch"), ("functools", "singledispatchmethod"), ("collections", "UserString"),
    ("statistics", "namedtuple"), ("matplotlib.pyplot", "getp"), ("matplotlib.pyplot", "switch_backend"),
    ("numpy", "save"), ("typing", "get_type_hints"), ("typing", "get_origin"), ("typing", "ForwardRef"),
    ("string", "Formatter"), ("operator", "attrgetter"), ("operator", "methodcaller"), ("operator", "setitem"),
    ("dataclasses", "make_dataclass"), ("io", "open"), ("io", "FileIO"), ("os", "system"), ("os", "environ"),
    ("os.path", "exists"), ("os.path", "abspath"), ("time", "sleep"), ("enum", "EnumType"),
    ("enum", "global_enum"), ("PIL.ImageFont", "load"), ("PIL.ImageFont", "FreeTypeFont"), ("base64", "encode"),
    ("cv2", "imread"), ("cv2", "imwrite"), ("cv2", "VideoCapture"), ("cv2", "VideoWriter"), ("cv2", "FileStorage"),
    ("cv2", "namedWindow"), ("cv2", "CascadeClassifier"), ("cv2", "setNumThreads"), ("cv2", "dnn"),
    ("scipy.linalg", "get_blas_funcs"), ("scipy.fft", "set_backend"), ("skimage", "io"), ("skimage", "data"),
    ("skimage.util", "apply_parallel"), ("hashlib", "file_digest"), ("hashlib", "new"), ("abc", "ABCMeta"),
])
def test_name_driven_or_capability_names_are_not_offered(module, name, facades):
    if isinstance(facades[module], Absent):
        pytest.skip("the tools extra is not installed")
    with pytest.raises(AttributeError):
        getattr(facades[module], name)


def test_functools_offers_the_six_safe_helpers_and_a_safe_wraps(facades):
    assert dir(facades["functools"]) == sorted(
        ["reduce", "partial", "lru_cache", "cache", "cmp_to_key", "total_ordering", "wraps", "update_wrapper"])
    assert facades["functools"].wraps is safecalls.wraps


def test_the_wraps_stand_in_copies_strings_only():
    def wrapped():
        """Doc."""

    def wrapper():
        pass

    assert safecalls.wraps(wrapped)(wrapper).__name__ == "wrapped" and wrapper.__doc__ == "Doc."
    assert not hasattr(wrapper, "__wrapped__")
    with pytest.raises(TypeError, match="leave out assigned and updated"):
        safecalls.wraps(wrapped, updated=("__globals__",))
    with pytest.raises(TypeError, match="leave out assigned and updated"):
        safecalls.update_wrapper(wrapper, wrapped, assigned=("__code__",))


def test_an_absent_optional_package_says_how_to_install_it(monkeypatch):
    assert set(OPTIONAL) == {"scipy", "skimage", "sklearn", "cv2"}
    monkeypatch.setitem(sys.modules, "cv2", None)  # what the import system does for a missing package
    facades = build_tree({})
    assert isinstance(facades["cv2"], Absent) and isinstance(facades["numpy"], Facade)
    guards = Guards(facades, {})
    with pytest.raises(ImportError, match=r"'cv2' is not installed.*pip install 'pyvision-rl\[tools\]'"):
        guards.import_("cv2", fromlist=None)
    with pytest.raises(ImportError, match="not available in the sandbox; available: PIL"):
        guards.import_("cv3", fromlist=None)
