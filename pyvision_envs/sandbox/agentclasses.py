"""What agent code may do with classes and special ("dunder") names, in one place.

RestrictedPython refuses every ``_`` name. Models write ``type(e).__name__``, ``self.__class__.__name__``,
``super().__init__()`` and ``def __repr__(self)`` all the time, so a short allow-list gets through (the
compile-time half is ``policy``; the run-time half is here, called from ``Guards.getattr``):

* the descriptive names (``__name__``, ``__doc__``, ...) on anything, only when their value is a string;
* ``__class__`` (no more than ``type(x)``), ``__len__`` (no more than ``len(x)``), namedtuple's ``_asdict`` & co.;
* ``__dict__`` and the special methods of ``DEFINABLE`` only on classes the agent defined, their instances and
  ``super()`` inside them, so no library object's internals or initialiser are reachable.

Agent classes derive only from plain bases (``ALLOWED_BASES``): a library class as base would hand its
internals (``fp``, ``filename``, ``im`` of a PIL image, raw-memory hooks) to code the agent controls.
"""

from __future__ import annotations

import abc
import builtins
import collections
import collections.abc
import enum
import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from pyvision_envs.sandbox import safecalls
from pyvision_envs.sandbox.facades import Facade, describe

# Readable on any object, when the value is a string (or None): they describe, they grant nothing.
DESCRIPTIVE = frozenset({"__name__", "__qualname__", "__doc__", "__module__", "__version__"})
# Special methods an agent class body may define, and read back through super(), its class or instances.
DEFINABLE = frozenset({
    "__init__", "__post_init__", "__repr__", "__str__", "__format__", "__hash__", "__bool__", "__len__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__contains__", "__iter__", "__next__",
    "__reversed__", "__getitem__", "__setitem__", "__delitem__", "__missing__", "__call__", "__enter__",
    "__exit__", "__index__", "__int__", "__float__", "__complex__", "__round__", "__abs__", "__neg__", "__pos__",
    "__invert__", "__add__", "__sub__", "__mul__", "__matmul__", "__truediv__", "__floordiv__", "__mod__",
    "__divmod__", "__pow__", "__lshift__", "__rshift__", "__and__", "__or__", "__xor__", "__radd__", "__rsub__",
    "__rmul__", "__rmatmul__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__", "__rand__", "__ror__",
    "__rxor__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
})
# namedtuple's public API, underscored so as not to clash with field names (scipy.stats results are namedtuples).
NAMEDTUPLE_API = frozenset({"_replace", "_asdict", "_fields", "_make", "_field_defaults"})
# Every "_" name the compiler lets through as an attribute read; the run-time rules above decide per object.
READABLE_PRIVATE = DESCRIPTIVE | DEFINABLE | NAMEDTUPLE_API | {"__class__", "__dict__"}

_BUILTIN_BASES = (object, int, float, complex, str, bytes, tuple, list, dict, set, frozenset)
_COLLECTION_BASES = (collections.OrderedDict, collections.defaultdict, collections.Counter, collections.deque,
                     collections.UserDict, collections.UserList, collections.ChainMap)
_TYPING_BASES = (typing.NamedTuple, typing.Generic, typing.Protocol, typing.TypedDict)
_ENUM_BASES = (enum.Enum, enum.IntEnum, enum.Flag, enum.IntFlag, enum.StrEnum, enum.ReprEnum)
ALLOWED_BASES: frozenset[Any] = frozenset(
    [*_BUILTIN_BASES, *_COLLECTION_BASES, *_TYPING_BASES, *_ENUM_BASES, abc.ABC]
    + [v for v in vars(collections.abc).values() if isinstance(v, type)]
    + [v for v in vars(builtins).values() if isinstance(v, type) and issubclass(v, BaseException)]
)

_ALTERNATIVES = {
    "__class__": "type(x)",
    "__subclasses__": "isinstance()/issubclass()",
    "__bases__": "isinstance()/issubclass()",
    "__base__": "isinstance()/issubclass()",
    "__mro__": "isinstance()/issubclass()",
    "__globals__": "arguments and return values",
    "__builtins__": "the builtins directly (print, len, ...)",
    "__code__": "calling the function",
    "__closure__": "arguments and return values",
    "__getattribute__": "getattr(x, 'name')",
    "__getattr__": "getattr(x, 'name')",
    "__setattr__": "setattr(x, 'name', value) on your own objects",
    "__dict__": "vars-style access only on objects of classes you define (x.__dict__), or dir(x)",
    "__import__": "an import statement",
    "__new__": "__init__",
    "__file__": "plain names for outputs (files are not available)",
}


def alternative(name: str) -> str:
    """What to use instead of a refused ``_`` name, for error messages."""
    if name in _ALTERNATIVES:
        return _ALTERNATIVES[name]
    if name.startswith("__") and name.endswith("__"):
        return "the matching builtin or operator (len(x), str(x), x[i], x + y, ...) or a public method"
    return "a public name without the leading underscore"


def refusal(name: str) -> str:
    """The message for a refused ``_`` attribute or name."""
    return f'"{name}" is not available in the sandbox (names starting with "_" are private); use {alternative(name)}'


def type_of(obj: Any) -> type:
    """``type(x)`` and ``x.__class__``, except for classes.

    A metaclass would build classes past the compiler's checks: ``type(type(1))('X', (), {...})`` with any
    special attribute (``__array_interface__`` reads raw memory).
    """
    cls = type(obj)
    if issubclass(cls, type):
        raise TypeError("the type of a class is not available in the sandbox; use isinstance(x, type) or x.__name__")
    if issubclass(cls, np.ndarray) or f"{cls.__module__}.{cls.__qualname__}" in safecalls.STAND_INS:
        return safecalls.class_view(cls)  # constructors that take raw buffers or paths (safecalls._ClassView)
    return cls


def is_agent_class(cls: Any, agent_classes: Any) -> bool:
    """Whether ``cls`` is a class the agent defined, or derives from one."""
    return isinstance(cls, type) and any(base in agent_classes for base in cls.__mro__)


def check_bases(name: str, bases: tuple[Any, ...], agent_classes: Any) -> None:
    """Refuse a class statement whose bases are not plain (see the module docstring)."""
    for base in bases:
        origin = getattr(base, "__origin__", base)  # Generic[T], dict[str, int]
        if base in agent_classes or origin in ALLOWED_BASES or base in ALLOWED_BASES:
            continue
        label = f"{getattr(origin, '__module__', '?')}.{getattr(origin, '__qualname__', repr(origin))}"
        raise TypeError(
            f"class {name}: deriving from {label} is not allowed in the sandbox; derive from object, a builtin type "
            "or exception, a collections/typing base or your own class, and keep the library object as an attribute")


def check_slots(cls: type) -> None:
    """``__slots__`` may name public attributes only (a slot is an attribute the class defines)."""
    slots = vars(cls).get("__slots__")
    if slots is None:
        return
    names = [slots] if isinstance(slots, str) else list(slots)
    bad = [n for n in names if type(n) is not str or n.startswith("_")]
    if bad:
        raise TypeError(f"class {cls.__name__}: __slots__ may only name public attributes in the sandbox, not {bad}")


def read(obj: Any, name: str, agent_classes: Any) -> Any:
    """A dunder read that the compiler let through (``READABLE_PRIVATE``), judged on the object at run time."""
    if name in DESCRIPTIVE:
        value = describe(obj, name) if isinstance(obj, Facade) else getattr(obj, name)
        if value is None or isinstance(value, str):
            return value
        raise AttributeError(f'"{name}" of this object is not a string; it is not available in the sandbox')
    if name == "__class__":
        return type_of(obj)
    if name == "__len__":
        return lambda: len(obj)
    if name in NAMEDTUPLE_API:
        cls = obj if isinstance(obj, type) else type(obj)
        if issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple):
            return getattr(obj, name)
        raise AttributeError(f'"{name}" is only available on namedtuples')
    owner = _agent_owner(obj, agent_classes)
    if owner is None:
        raise AttributeError(f'"{name}" is only available on classes you define, their objects and super(); '
                             f"use {alternative(name)}")
    if name == "__dict__":
        if isinstance(obj, type):
            return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
        return instance_dict(obj)
    value = getattr(obj, name)
    if isinstance(obj, type):  # unbound, as in Base.__init__(self, ...): only ever on the agent's objects
        return _bound_to(owner, name, value)
    return value


class InstanceDict(dict):
    """``obj.__dict__`` of an agent object: a snapshot whose writes go through to the object, public names only.

    The real ``__dict__`` would take any key: ``a.__dict__['__array_interface__'] = {...}`` makes
    ``np.asarray(a)`` read raw memory (numpy looks that name up on the instance). Built only by
    ``instance_dict``: one made by calling its type has no owner and refuses writes.
    """

    __slots__ = ("_owner",)

    def _target(self, key: Any) -> dict[str, Any]:
        if type(key) is not str or key.startswith("_"):  # exact str: a subclass can override startswith
            raise KeyError(f"{key!r}: only public attribute names can be set through __dict__ in the sandbox")
        owner = getattr(self, "_owner", None)
        if owner is None:
            raise TypeError("this dict is not the __dict__ of an object")
        return vars(owner)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target(key)[key] = value
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        del self._target(key)[key]
        dict.__delitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - dict's
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:  # noqa: D102 - dict's
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: Any, *default: Any) -> Any:  # noqa: D102 - dict's
        if key not in self and default:
            return default[0]
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[Any, Any]:  # noqa: D102 - dict's
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:  # noqa: D102 - dict's
        for key in list(self):
            del self[key]

    def __ior__(self, other: Any) -> InstanceDict:
        self.update(other)
        return self


def instance_dict(owner: Any) -> InstanceDict:
    """The ``__dict__`` an agent object shows agent code."""
    d = InstanceDict(vars(owner))
    object.__setattr__(d, "_owner", owner)
    return d


def _agent_owner(obj: Any, agent_classes: Any) -> type | None:
    if isinstance(obj, super):
        this = obj.__thisclass__
        return this if is_agent_class(this, agent_classes) and isinstance(obj.__self__, this) else None
    cls = obj if isinstance(obj, type) else type(obj)
    return cls if is_agent_class(cls, agent_classes) else None


def _bound_to(owner: type, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(self, owner):
            raise TypeError(f"{owner.__name__}.{name}() needs an instance of {owner.__name__} as its first argument")
        return method(self, *args, **kwargs)

    return call


def harden_enum() -> None:
    """Check the member names of ``Enum('Name', names)``, as the class statement's are checked at compile time.

    The functional API puts its names into the class namespace, so ``Enum('E', {'__array_interface__': ...})``
    would define a special attribute. Runs in the fork server before any worker exists; workers inherit it.
    """
    create = enum.EnumType._create_

    def checked_create(cls: Any, class_name: Any, names: Any, **kwargs: Any) -> Any:
        # Plain, concrete copies: enum re-reads what it is given, and the agent's str, list or tuple subclasses
        # could answer differently the second time.
        if isinstance(names, str):
            names = str.__str__(names)
            listed: list[Any] = names.replace(",", " ").split()
        elif isinstance(names, collections.abc.Mapping):
            names = dict(names)
            listed = list(names)
        else:
            names = [n if type(n) is str else tuple(n) for n in names]
            listed = [n if type(n) is str else n[0] for n in names]
        bad = [n for n in listed if type(n) is not str or n.startswith("_")]
        if bad:
            raise ValueError(f"enum member names may not start with '_' in the sandbox: {bad}; rename them")
        if kwargs.get("type") not in (None, *ALLOWED_BASES):
            raise ValueError("an enum's mixed-in type must be a builtin type in the sandbox (int, str, ...)")
        return create(cls, class_name, names, **kwargs)

    enum.EnumType._create_ = checked_create
