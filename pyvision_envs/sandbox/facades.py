"""Capability-safe stand-ins for the modules agent code may import.

A real module handed to restricted code is an escape route (``np.f2py.os.system``, ``np.save``,
``PIL.Image.open(path)``). A facade exposes only the names its module's allow-list names (``allowlists``),
minus the global block list, never a module object; submodules appear only as facades of their own. Facades are built once in the fork server (so every lazy
submodule import happens before a worker is confined) and are read-only.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

from pyvision_envs.sandbox.allowlists import ALLOW

# Attribute names that carry file, process, pointer or pickle capabilities, refused on every object.
BLOCKED_NAMES = frozenset({
    # files and pickles
    "open", "save", "savez", "savez_compressed", "savetxt", "load", "loadtxt", "genfromtxt",
    "fromfile", "tofile", "fromregex", "dump", "memmap", "open_memmap", "DataSource", "savefig",
    "imsave", "imread", "write_png", "rc_file", "rc_file_defaults", "fp", "filename", "getim", "im",
    "readinto", "save_ppm",
    # raw memory, foreign code, processes, interpreter internals
    "ctypes", "ctypeslib", "f2py", "distutils", "system", "popen", "spawn", "fork", "kill", "exec", "globals", "locals", "vars", "breakpoint", "input", "builtins", "modules", "importlib",
    "switch_backend", "install_repl_displayhook", "uninstall_repl_displayhook", "set_loglevel", "subprocess",
    "show_config", "show_runtime", "source", "lookfor", "get_include", "testing", "lib", "core", "rec", "matlib",
    "typing", "tempfile", "register_open", "register_save", "register_save_all", "register_mime",
    "register_extension", "register_extensions", "register_decoder", "register_encoder", "registered_extensions",
    "preinit", "init", "ID", "OPEN", "SAVE", "SAVE_ALL", "EXTENSION", "MIME", "DECODERS", "ENCODERS",
    "style",
    # frames, code objects and tracebacks (reachable without underscores)
    "gi_frame", "gi_code", "gi_yieldfrom", "gi_suspended", "cr_frame", "cr_code", "cr_await", "cr_origin",
    "ag_frame", "ag_code", "ag_await", "tb_frame", "tb_next", "tb_lasti", "f_back", "f_globals", "f_locals",
    "f_builtins", "f_code", "f_trace", "f_lasti", "co_code", "co_consts", "co_names", "with_traceback",
    "mro",
})
BLOCKED_PREFIXES = ("print_", "co_", "f_", "tb_", "gi_", "cr_", "ag_", "func_", "im_")
# Per-type exceptions: harmless uses of a generally blocked name (PIL's load() on an in-memory image).
ALLOWED_ON_TYPE: dict[str, frozenset[str]] = {"PIL.Image.Image": frozenset({"load"})}
# Per-type refusals of otherwise ordinary names (cv2 objects' read/write/save/load: ``guards._blocked_on``).
BLOCKED_ON_TYPE: dict[str, frozenset[str]] = {
    "PIL.ImageFont.FreeTypeFont": frozenset({"font_variant", "path"}),  # reopens a font by path
    "PIL.ImageFont.TransposedFont": frozenset({"font_variant"}),
}


class Facade:
    """A read-only module stand-in. Attribute writes are refused; ``dir()`` lists what is offered."""

    __slots__ = ("_name", "_attrs", "_version")

    def __init__(self, name: str, attrs: dict[str, Any], version: str | None = None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_attrs", dict(attrs))
        object.__setattr__(self, "_version", version)

    def __getattr__(self, item: str) -> Any:
        attrs = object.__getattribute__(self, "_attrs")
        if item in attrs:
            return attrs[item]
        name = object.__getattribute__(self, "_name")
        hint = blocked_alternative(item) if is_blocked_name(item) else f"dir({name.rsplit('.', 1)[-1]}) lists what it offers"
        raise AttributeError(f"module {name!r} in the sandbox has no attribute {item!r} (or it is not allowed); {hint}")

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("sandbox modules are read-only")

    def __delattr__(self, key: str) -> None:
        raise AttributeError("sandbox modules are read-only")

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_attrs"))

    def __repr__(self) -> str:
        return f"<module {object.__getattribute__(self, '_name')!r} (sandbox)>"


def describe(facade: Facade, name: str) -> str | None:
    """A facade's ``__name__`` / ``__version__`` for agent code (``np.__version__``).

    Not offered by ``Facade.__getattr__`` itself: the interpreter's ``from m import x`` falls back to
    ``sys.modules[m.__name__ + ".x"]``, the real submodule, when ``m`` lacks ``x``.
    """
    if name == "__name__":
        return object.__getattribute__(facade, "_name")
    if name == "__version__":
        return object.__getattribute__(facade, "_version")
    raise AttributeError(f"sandbox modules have no {name!r}")


_SAVE = frozenset({"save", "savez", "savez_compressed", "savetxt", "tofile", "dump", "savefig", "imsave",
                   "write_png", "save_ppm", "write"})
_LOAD = frozenset({"open", "load", "loadtxt", "genfromtxt", "fromfile", "fromregex", "memmap", "open_memmap",
                   "DataSource", "imread", "read", "readinto", "fp", "filename"})


def blocked_alternative(name: str) -> str:
    """What to use instead of a refused capability name, for error messages."""
    if name in _SAVE:
        return "show results with plt.show() or show(x), or save into an io.BytesIO"
    if name in _LOAD:
        return "use the inputs already bound (image_clue_0, video_clue_0) or in-memory data (io.BytesIO)"
    if name in {"system", "popen", "spawn", "fork", "kill", "exec", "subprocess"}:
        return "processes are not available; compute in Python"
    return "use the library's public computing API"


def is_blocked_name(name: str) -> bool:
    """Whether an attribute name is refused everywhere."""
    return name.startswith("_") or name in BLOCKED_NAMES or name.startswith(BLOCKED_PREFIXES)


_ABSENT = object()


def build_facade(
    module: types.ModuleType,
    *,
    only: Iterable[str] | None = None,
    submodules: dict[str, Facade] | None = None,
    extra: dict[str, Any] | None = None,
    name: str | None = None,
    numbers: bool = False,
) -> Facade:
    """Make a facade of ``module`` offering ``only`` (default: its allow-list), minus the global block list.

    ``numbers``: also every plain int/float constant of the module (cv2's thousands of flags carry nothing).
    ``extra`` entries are reviewed stand-ins (``safecalls``) and may use blocked names (``Image.open``).
    """
    names = ALLOW[module.__name__] if only is None else tuple(only)
    attrs: dict[str, Any] = {}
    if numbers:
        attrs.update({k: v for k, v in vars(module).items()
                      if type(v) in (int, float) and not is_blocked_name(k)})
    for attr in names:
        if is_blocked_name(attr):
            continue
        value = getattr(module, attr, _ABSENT)
        if value is _ABSENT or isinstance(value, types.ModuleType):
            continue  # gone from this version, or a module: submodules only through explicit facades
        attrs[attr] = value
    attrs.update(submodules or {})
    attrs.update(extra or {})
    version = getattr(module, "__version__", None)
    return Facade(name or module.__name__, attrs, version if isinstance(version, str) else None)


class Absent:
    """An optional package that is not installed: importing it says how to install it."""

    def __init__(self, package: str) -> None:
        self.message = (f"module {package!r} is not installed in this runtime; install the tools extra: "
                        "pip install 'pyvision-rl[tools]'")


# Packages of the ``tools`` extra: absent ones become ``Absent`` entries rather than failing the build.
OPTIONAL = ("scipy", "skimage", "sklearn", "cv2")


def build_tree(extras: dict[str, dict[str, Any]], numbers: Iterable[str] = ()) -> dict[str, Facade | Absent]:
    """A facade for every allow-listed dotted module name, each package holding its submodules' facades.

    A package with no allow-list of its own (``PIL``, ``scipy``) offers its submodules and ``extras`` only.
    """
    import importlib

    from pyvision_envs.sandbox.allowlists_tools import ALLOW_TOOLS

    allow = {**ALLOW, **ALLOW_TOOLS}
    wanted = set(allow) | set(extras)
    wanted |= {n.rsplit(".", i)[0] for n in list(wanted) for i in range(1, n.count(".") + 1)}
    facades: dict[str, Facade | Absent] = {}
    for top in OPTIONAL:
        try:
            importlib.import_module(top)
        except ImportError:
            facades.update({n: Absent(top) for n in wanted if n.split(".")[0] == top})
    for dotted in sorted(wanted - set(facades), key=lambda n: -n.count(".")):  # children before parents
        subs = {child.rsplit(".", 1)[1]: f for child, f in facades.items()
                if child.rpartition(".")[0] == dotted and isinstance(f, Facade)}
        module = importlib.import_module(dotted)
        if dotted in allow:
            facades[dotted] = build_facade(module, only=allow[dotted], submodules=subs, extra=extras.get(dotted),
                                           name=dotted, numbers=dotted in numbers)
        else:
            version = getattr(module, "__version__", None)
            facades[dotted] = Facade(dotted, {**subs, **extras.get(dotted, {})},
                                     version if isinstance(version, str) else None)
    return facades


def build_all(show: Callable[..., Any], video_reader_stub: Any, saved: Callable[..., Any] = lambda fig: None,
              runtime: dict[str, dict[str, Any]] | None = None) -> dict[str, Facade | Absent]:
    """Build the facades for every importable module name. Runs once, in the fork server (imports included).

    ``runtime``: facades made of the worker's own stand-ins only (``traceback``, ``sys``: ``worker``).
    """
    import matplotlib
    import numpy as np

    from pyvision_envs.sandbox import safecalls

    extras: dict[str, dict[str, Any]] = {
        "matplotlib": {"use": lambda *a, **k: None, "colormaps": matplotlib.colormaps,
                       "rcParams": matplotlib.rcParams},
        "matplotlib.pyplot": {"show": show, "savefig": safecalls.pyplot_savefig(saved)},
        "PIL.Image": {"open": safecalls.image_open},
        "PIL.ImageFont": {"truetype": safecalls.bundled_truetype},
        "scipy.spatial": safecalls.qhull_classes(),
        "cv2": safecalls.cv2_stand_ins(),
        "functools": {"wraps": safecalls.wraps, "update_wrapper": safecalls.update_wrapper},
        "dataclasses": {"dataclass": safecalls.dataclass},
        "numpy": {name: safecalls.class_view(getattr(np, name)) for name in ("ndarray", "recarray", "matrix")},
    }
    facades = build_tree({**extras, **(runtime or {})}, numbers=("cv2",))
    facades["decord"] = Facade("decord", {
        "VideoReader": video_reader_stub,
        "cpu": lambda *a, **k: None,
        "bridge": Facade("decord.bridge", {"set_bridge": lambda *a, **k: None}),
    })
    return facades
