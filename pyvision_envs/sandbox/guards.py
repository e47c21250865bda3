"""The restricted-execution layer: RestrictedPython's hooks, implemented with our own, stricter guards.

RestrictedPython rewrites attribute access, item access, iteration, writes and ``print`` into calls to
``_getattr_``, ``_getitem_``, ``_write_``, ... that the globals provide. This module provides them:

* attribute access refuses ``_`` names, the capability-bearing names in ``facades.BLOCKED_NAMES`` and any real
  module object (only facades are reachable); ``str.format`` is replaced by a formatter whose field lookups go
  through the same guard;
* writes are allowed on lists, dicts, sets, bytearrays, numpy arrays and instances of classes the agent defined;
* ``import`` resolves names to facades only.
"""

from __future__ import annotations

import builtins
import decimal
import operator
import types
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safe_builtins

from pyvision_envs.sandbox import agentclasses, safecalls
from pyvision_envs.sandbox.facades import (
    ALLOWED_ON_TYPE,
    BLOCKED_ON_TYPE,
    Absent,
    Facade,
    blocked_alternative,
    is_blocked_name,
)
from pyvision_envs.sandbox.formatting import SafeFormatter

_MISSING = object()


class SandboxViolation(Exception):
    """Agent code asked for something the sandbox does not allow."""


def _type_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _blocked_on(obj: Any) -> frozenset[str]:
    """Names refused on one library's objects only: cv2 objects' file methods, PIL fonts' path reopening."""
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    if module == "cv2" or module.startswith("cv2."):
        return _CV2_FILE_METHODS
    return BLOCKED_ON_TYPE.get(f"{module}.{cls.__qualname__}", frozenset())


_CV2_FILE_METHODS = frozenset({"read", "write", "save", "load", "empty_file", "getDefaultName"})
_PER_TYPE = _CV2_FILE_METHODS.union(*BLOCKED_ON_TYPE.values())  # the only names _blocked_on can refuse


def _allowed_on(obj: Any, name: str) -> bool:
    for cls in (obj if isinstance(obj, type) else type(obj)).__mro__:
        if name in ALLOWED_ON_TYPE.get(f"{cls.__module__}.{cls.__qualname__}", ()):
            return True
    return False


def attr_name(name: Any) -> str:
    """An attribute name as a plain ``str``.

    A ``str`` subclass of the agent's can override ``startswith``/``__eq__`` and so pass every check here while
    the interpreter's ``getattr`` reads its real characters (``getattr(f, S('__globals__'))``).
    """
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    return str.__str__(name)  # an exact str, the same characters, none of the subclass's methods


class Guards:
    """Builds the restricted globals for one worker and owns the per-worker hooks."""

    def __init__(self, facades: dict[str, Facade], figure_hooks: dict[str, Callable[..., Any]]) -> None:
        self.facades = facades
        self._figure_hooks = figure_hooks  # "show": capture figures / images; "figure_show": one figure
        self._agent_classes: weakref.WeakSet[type] = weakref.WeakSet()
        self._formatter = SafeFormatter(self._format_getattr)

    # --- attribute access --------------------------------------------------------------------------
    def getattr(self, obj: Any, name: str, default: Any = _MISSING) -> Any:
        """The ``_getattr_`` hook and the ``getattr`` builtin (with a default: also for what is refused)."""
        if default is _MISSING:
            return self._getattr(obj, name)
        try:
            return self._getattr(obj, name)
        except AttributeError:
            return default

    def _getattr(self, obj: Any, name: str) -> Any:
        name = attr_name(name)
        if name.startswith("_"):
            if name not in agentclasses.READABLE_PRIVATE:
                raise AttributeError(agentclasses.refusal(name))
            return agentclasses.read(obj, name, self._agent_classes)
        if isinstance(obj, Facade):  # a facade offers exactly its reviewed contents (stand-ins included)
            return getattr(obj, name)
        hook = self._method_hook(obj, name)
        if hook is not None:
            return hook
        if (is_blocked_name(name) and not _allowed_on(obj, name)) or (name in _PER_TYPE and name in _blocked_on(obj)):
            raise AttributeError(f'"{name}" is not allowed in the sandbox (no file, process or interpreter access); '
                                 f"{blocked_alternative(name)}")
        if isinstance(obj, types.ModuleType):
            raise AttributeError("real modules are not reachable in the sandbox")
        if name in ("format", "format_map"):
            # also str subclasses (np.str_, the agent's), unbound or bound, and super() inside them
            target = obj.__self__ if isinstance(obj, super) else obj
            if isinstance(target, type) and issubclass(target, str):
                return self._safe_format(str, name)
            if isinstance(target, str):
                return self._safe_format(target, name)
        value = getattr(obj, name)
        if isinstance(value, types.ModuleType):
            raise AttributeError(f'"{name}" is a module; import an allowed module instead')
        return value

    def _format_getattr(self, obj: Any, name: str) -> Any:
        # Format strings get no dunders at all: "{0.__class__}" is never what a tool program needs.
        if name.startswith("_"):
            raise AttributeError(f'"{name}" is not allowed in a format string in the sandbox; use a plain field')
        return self.getattr(obj, name)

    def vars(self, obj: Any = _MISSING) -> Any:
        """``vars(x)``: ``x.__dict__`` where that is readable (objects of the agent's classes)."""
        if obj is _MISSING:
            raise TypeError("vars() needs an argument in the sandbox; use dir() to list names")
        return self.getattr(obj, "__dict__")

    def hasattr(self, obj: Any, name: str) -> bool:
        """The ``hasattr`` builtin: whether ``getattr`` would give a value.

        For dunders, whether the object has it at all: ``hasattr(x, '__iter__')`` is a common type test, and
        a yes or no grants nothing.
        """
        if isinstance(name, str) and name.startswith("__") and not isinstance(obj, Facade):
            return builtins.hasattr(obj, attr_name(name))
        try:
            self.getattr(obj, name)
        except AttributeError:
            return False
        return True

    def _safe_format(self, obj: Any, name: str) -> Callable[..., str]:
        fmt = self._formatter
        if obj is str:  # unbound: str.format(template, *args)
            return (lambda s, *a, **k: fmt.vformat(s, a, k)) if name == "format" else (lambda s, m: fmt.vformat(s, (), m))
        if name == "format":
            return lambda *a, **k: fmt.vformat(obj, a, k)
        return lambda mapping: fmt.vformat(obj, (), mapping)

    def _method_hook(self, obj: Any, name: str) -> Callable[..., Any] | None:
        # img.show() would start an external viewer; fig.show() warns on Agg. Both mean "show me this".
        # Saving to a path means the same; saving into an io.BytesIO is real (safecalls).
        if name not in ("show", "save", "savefig"):
            return None
        from matplotlib.figure import Figure
        from PIL import Image

        if name == "show" and isinstance(obj, (Image.Image, Figure)):
            return lambda *a, **k: self._figure_hooks["show"](obj)
        if name == "save" and isinstance(obj, Image.Image):
            return safecalls.image_save(self._figure_hooks["show"], obj)
        if name == "savefig" and isinstance(obj, Figure):
            return safecalls.figure_savefig(self._figure_hooks["saved"], obj)
        return None

    # --- writes ------------------------------------------------------------------------------------
    def write(self, obj: Any) -> Any:
        """The ``_write_`` hook: which objects agent code may mutate (items or attributes)."""
        if isinstance(obj, (list, dict, set, bytearray, np.ndarray, decimal.Context)):
            return obj  # (a decimal context is the worker's own: getcontext().prec = 50)
        if agentclasses.is_agent_class(obj if isinstance(obj, type) else type(obj), self._agent_classes):
            return obj  # the agent's classes (class attributes) and their instances
        raise TypeError(f"objects of type {type(obj).__name__!r} cannot be modified in the sandbox; "
                        "modify a copy, or keep your values in a dict or in an object of a class you define")

    def setattr(self, obj: Any, name: str, value: Any) -> None:
        """The ``setattr`` builtin, through the guards."""
        name = attr_name(name)
        if name.startswith("_"):
            raise AttributeError(f'"{name}": names starting with "_" are not allowed in the sandbox')
        setattr(self.write(obj), name, value)

    def delattr(self, obj: Any, name: str) -> None:
        """The ``delattr`` builtin, through the guards."""
        name = attr_name(name)
        if name.startswith("_"):
            raise AttributeError(f'"{name}": names starting with "_" are not allowed in the sandbox')
        delattr(self.write(obj), name)

    def augattr(self, obj: Any, name: str, op: str, value: Any) -> None:
        """``obj.name op= value``, through the read and write guards."""
        target = self.write(obj)  # refused before anything is computed
        self.setattr(target, name, _inplace(op, self.getattr(obj, name), value))

    def augitem(self, obj: Any, key: Any, op: str, value: Any) -> None:
        """``obj[key] op= value``, as Python does it (read, operate in place, store), through the write guard."""
        target = self.write(obj)
        target[key] = _inplace(op, obj[key], value)

    def build_class(self, func: Any, name: str, *bases: Any, **kw: Any) -> type:
        """``__build_class__``: agent classes are recorded so their instances are writable."""
        # The compiler adds metaclass=__metaclass__ (our global, ``type``) to every class and refuses any other.
        if kw.pop("metaclass", type) is not type:
            raise SandboxViolation("metaclasses are not allowed in the sandbox; use a plain class or a class decorator")
        agentclasses.check_bases(name, bases, self._agent_classes)
        cls = builtins.__build_class__(func, name, *bases, **kw)
        agentclasses.check_slots(cls)
        self._agent_classes.add(cls)
        return cls

    # --- imports -----------------------------------------------------------------------------------
    def import_(self, name: str, globals_: Any = None, locals_: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        """``__import__``: only the facades, by their dotted names.

        C code (numpy's lazy ``numpy._core._methods`` for ``arr.mean()``, its array printing) imports through
        ``PyImport_Import``, which calls the running frame's ``__import__`` with a *list* ``fromlist`` (empty,
        or ``["__doc__"]`` in older CPythons; compiled import statements always pass a tuple or None) and keeps
        the module to itself. Those imports go to the real importer: the module never reaches agent code.
        """
        if type(fromlist) is list and fromlist in ([], ["__doc__"]) and level == 0:
            return builtins.__import__(name, globals_, locals_, fromlist, level)
        if level != 0:
            raise ImportError("relative imports are not available in the sandbox")
        if name not in self.facades:
            allowed = ", ".join(sorted(k for k, v in self.facades.items() if "." not in k and isinstance(v, Facade)))
            raise ImportError(f"module {name!r} is not available in the sandbox; available: {allowed}")
        found = self.facades[name] if fromlist else self.facades[name.split(".")[0]]
        if isinstance(found, Absent):
            raise ImportError(found.message)
        return found

    # --- globals -----------------------------------------------------------------------------------
    def builtins(self) -> dict[str, Any]:
        """The ``__builtins__`` mapping for agent code."""
        b = {k: v for k, v in safe_builtins.items() if k not in ("setattr", "delattr", "_getattr_")}
        for name in (
            "list", "dict", "set", "frozenset", "tuple", "range", "enumerate", "zip", "map", "filter", "reversed",
            "sorted", "min", "max", "sum", "any", "all", "iter", "next", "bytearray", "bytes", "format", "bin",
            "object", "property", "staticmethod", "classmethod", "super", "StopAsyncIteration", "NotImplemented",
        ):
            b[name] = getattr(builtins, name)
        b.update(
            getattr=self.getattr, hasattr=self.hasattr, setattr=self.setattr, delattr=self.delattr,
            type=_type_one_arg, dir=_safe_dir, __import__=self.import_, __build_class__=self.build_class,
            vars=self.vars,
        )
        return b

    def globals(self, collector_factory: Callable[..., Any]) -> dict[str, Any]:
        """Fresh restricted globals for one worker."""
        return {
            "__builtins__": self.builtins(),
            "__name__": "__main__",  # as in the original runtime: `if __name__ == "__main__":` blocks run
            "__metaclass__": type,
            "_getattr_": self.getattr,
            "_getitem_": operator.getitem,
            "_getiter_": iter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": self.write,
            "_inplacevar_": _inplace,
            "_augattr_": self.augattr,
            "_augitem_": self.augitem,
            "_apply_": lambda f, *a, **k: f(*a, **k),
            "_print_": collector_factory,
        }


def _type_one_arg(obj: Any) -> type:
    """``type(x)``; the three-argument form would let code build classes outside the guards."""
    return agentclasses.type_of(obj)


def _safe_dir(obj: Any = _MISSING) -> list[str]:
    if obj is _MISSING:
        raise TypeError("dir() needs an argument in the sandbox")
    return [n for n in dir(obj) if not is_blocked_name(n)]


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _inplace(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)
