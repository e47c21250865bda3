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
        raise AttributeError(f"module {name!r} in the sandbox has no attribute {item!r} (or it is not allowed)")

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
) -> Facade:
    """Make a facade of ``module`` offering ``only`` (default: its allow-list), minus the global block list."""
    names = ALLOW[module.__name__] if only is None else tuple(only)
    attrs: dict[str, Any] = {}
    for name in names:
        if is_blocked_name(name):
            continue
        value = getattr(module, name, _ABSENT)
        if value is _ABSENT or isinstance(value, types.ModuleType):
            continue  # gone from this version, or a module: submodules only through explicit facades
        attrs[name] = value
    attrs.update(submodules or {})
    attrs.update(extra or {})
    version = getattr(module, "__version__", None)
    return Facade(module.__name__, attrs, version if isinstance(version, str) else None)


def build_all(show: Callable[..., Any], video_reader_stub: Any) -> dict[str, Facade]:
    """Build the facades for every importable module name. Runs once, in the fork server."""
    import collections
    import collections.abc
    import functools
    import itertools
    import json
    import math
    import random
    import re
    import statistics

    import matplotlib
    import matplotlib.colors
    import matplotlib.patches
    import matplotlib.pyplot as plt
    import numpy as np
    import numpy.fft
    import numpy.linalg
    import numpy.polynomial
    import numpy.random
    from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps, ImageStat

    np_subs = {
        "linalg": build_facade(numpy.linalg),
        "fft": build_facade(numpy.fft),
        "random": build_facade(numpy.random),
        "polynomial": build_facade(numpy.polynomial),
    }
    pil_subs = {
        "Image": build_facade(Image),
        "ImageOps": build_facade(ImageOps),
        "ImageEnhance": build_facade(ImageEnhance),
        "ImageFilter": build_facade(ImageFilter),
        "ImageDraw": build_facade(ImageDraw),
        "ImageStat": build_facade(ImageStat),
    }
    pyplot = build_facade(plt, extra={"show": show})
    mpl_subs = {
        "pyplot": pyplot,
        "patches": build_facade(matplotlib.patches),
        "colors": build_facade(matplotlib.colors),
    }
    facades = {
        "numpy": build_facade(np, submodules=np_subs),
        "PIL": Facade("PIL", pil_subs),
        "matplotlib": Facade("matplotlib", {**mpl_subs, "use": lambda *a, **k: None}),
        "math": build_facade(math),
        "statistics": build_facade(statistics),
        "collections": build_facade(collections, submodules={"abc": build_facade(collections.abc)}),
        "itertools": build_facade(itertools),
        "functools": build_facade(functools),
        "re": build_facade(re),
        "json": build_facade(json),
        "random": build_facade(random),
        "decord": Facade("decord", {
            "VideoReader": video_reader_stub,
            "cpu": lambda *a, **k: None,
            "bridge": Facade("decord.bridge", {"set_bridge": lambda *a, **k: None}),
        }),
    }
    for name, sub in np_subs.items():
        facades[f"numpy.{name}"] = sub
    for name, sub in pil_subs.items():
        facades[f"PIL.{name}"] = sub
    for name, sub in mpl_subs.items():
        facades[f"matplotlib.{name}"] = sub
    facades["collections.abc"] = object.__getattribute__(facades["collections"], "_attrs")["abc"]
    return facades
