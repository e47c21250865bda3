"""Validated settings dataclasses, and the one parser of ``key=value`` overrides.

A settings class subclasses :class:`Settings` and documents each field once, in the attribute docstring under it
(:func:`field_docs` reads them back for ``--help``). ``__post_init__`` coerces every field to its annotation and
then calls ``validate``; a bad value raises :class:`ConfigError` naming the class, the field and what to change.
Settings compose: a field whose type is another settings class is a nested section (``GRPOConfig.batch``).

:func:`build` makes a settings object from a nested mapping (a YAML file), with a "did you mean" for unknown keys;
a class's ``ALIASES`` map old keys to their new dotted place (or to None: accepted and ignored), each use
warning with a ``DeprecationWarning``; a value given under both names takes the later one. :func:`apply_override` applies one ``a.b.c=value`` to such a mapping:
dotted keys reach into nested sections and into mapping fields. Typed fields get the text as given (coerced by
their annotation: ``none``, ``true``/``false``, numbers); entries of free mappings get :func:`read_value`.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from pyvision_envs.names import unknown_name

S = TypeVar("S", bound="Settings")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ConfigError(ValueError):
    """A configuration value, key or file is wrong; the message says which and what to change."""


class Settings:
    """Base of the settings dataclasses: coercion, ``validate`` and the helpers that phrase its errors."""

    ALIASES: ClassVar[dict[str, str | None]] = {}
    """Deprecated key -> its new dotted place (None: accepted, warned about and ignored)."""

    def __post_init__(self) -> None:
        for name, tp in _hints(type(self)).items():
            value = _coerce(getattr(self, name), tp, f"{type(self).__name__}.{name}")
            object.__setattr__(self, name, value)  # frozen settings too
        self.validate()

    def validate(self) -> None:
        """Check the values; override and call ``self._fail`` with what to change."""

    def _fail(self, name: str, problem: str) -> typing.NoReturn:
        raise ConfigError(f"{type(self).__name__}.{name}={getattr(self, name)!r}: {problem}")

    def _positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 1:
                self._fail(name, "must be >= 1")

    def _non_negative(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 0:
                self._fail(name, "must be >= 0")


def _hints(cls: type) -> dict[str, Any]:
    """Field name -> resolved annotation, for the dataclass fields of ``cls`` (ClassVars excluded)."""
    resolved = typing.get_type_hints(cls)
    return {f.name: resolved[f.name] for f in dataclasses.fields(cls)}


def _section(tp: Any) -> type[Settings] | None:
    """The settings class a field annotation names, if it is one."""
    return tp if isinstance(tp, type) and issubclass(tp, Settings) else None


def _is_mapping(tp: Any) -> bool:
    return tp is dict or typing.get_origin(tp) is dict


def _to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{name}={value!r}: expected true or false")


def _to_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        as_float = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        as_float = None
    if as_float is None or not as_float.is_integer():
        raise ConfigError(f"{name}={value!r}: expected a whole number")
    return int(as_float)


def _to_float(value: Any, name: str) -> float:
    try:
        if not isinstance(value, bool):
            return float(value)  # YAML reads "1e-6" (no dot) as a string; float() takes it
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{name}={value!r}: expected a number")


def _to_str(value: Any, name: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{name}={value!r}: expected a string")


def _to_dict(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, str):
        import yaml  # lazy: only a whole mapping given as text needs it

        value = yaml.safe_load(value) if value.strip() else {}
    if isinstance(value, dict):
        return dict(value)
    raise ConfigError(f"{name}={value!r}: expected a mapping such as {{difficulty: 2}}")


_CONVERTERS = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str, dict: _to_dict}


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """Convert ``value`` (from YAML or a command-line string) to the annotated type, or raise ConfigError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "~")):
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(value, inner[0], name)
    section = _section(tp)
    if section is not None:
        return value if isinstance(value, section) else build(section, _to_dict(value, name), name)
    convert = _CONVERTERS.get(origin or tp)
    return convert(value, name) if convert else value


def field_docs(cls: type, prefix: str = "") -> dict[str, str]:
    """Map each field of ``cls`` to the attribute docstring under it (subclass wins); nested sections dotted.

    A nested section contributes its own line (``batch``) and one per field (``batch.max_rounds``).
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = tree.body[0].body  # type: ignore[attr-defined]
        for node, nxt in zip(body, body[1:]):  # each statement with the next one: lengths differ by design
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[prefix + node.target.id] = inspect.cleandoc(nxt.value.value)
    for name, tp in _hints(cls).items():
        section = _section(tp)
        if section is not None:
            docs.update(field_docs(section, f"{prefix}{name}."))
    return docs


def _dealias(cls: type[Settings], key: str, where: str) -> list[str] | None:
    """The dotted path an old key moved to (warning once per use); None when the alias is dropped."""
    new = cls.ALIASES[key]
    if new is None:
        warnings.warn(f"{where}: {cls.__name__} key {key!r} is deprecated and has no effect; remove it",
                      DeprecationWarning, stacklevel=4)
        return None
    warnings.warn(f"{where}: {cls.__name__} key {key!r} is deprecated; write {new!r}", DeprecationWarning,
                  stacklevel=4)
    return new.split(".")


def _unknown(cls: type[Settings], key: str, where: str) -> ConfigError:
    """Unknown key: the known ones include the new dotted places of old keys, so a typo of one finds it."""
    known = set(_hints(cls)) | {new for new in cls.ALIASES.values() if new}
    return ConfigError(f"{where}: {unknown_name(f'{cls.__name__} key', key, known)}")


def _nest(cls: type[Settings], values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``values`` with deprecated keys moved to their new places; unknown keys raise with a "did you mean"."""
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for key, value in values.items():
        key = str(key)
        if key in hints:
            if _section(hints[key]) and isinstance(value, Mapping):
                value = {**out.get(key, {}), **value}
            out[key] = value
            continue
        if key not in cls.ALIASES:
            raise _unknown(cls, key, where)
        path = _dealias(cls, key, where)
        if path is None:
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value  # given both ways, the later one wins (an override comes after the file)
    return out


def build(cls: type[S], values: Mapping[str, Any], where: str = "config") -> S:
    """Make ``cls`` from a nested mapping (YAML): aliases resolved, nested sections built, values validated.

    Raises:
        ConfigError: Unknown key (with a "did you mean"), wrong type or a value that fails validation; the
            message starts with ``where``.
    """
    nested = _nest(cls, values, where)
    hints = _hints(cls)
    for name, value in nested.items():
        section = _section(hints[name])
        if section is not None and isinstance(value, Mapping):
            nested[name] = build(section, value, f"{where}: {name}")
    try:
        return cls(**nested)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except ValueError as exc:  # a settings class validated with a plain ValueError
        raise ConfigError(f"{where}: {cls.__name__}: {exc}") from None


def split_override(item: str) -> tuple[list[str], str]:
    """``"a.b=c"`` -> ``(["a", "b"], "c")``; a missing ``=`` or key raises ConfigError."""
    key, sep, raw = item.lstrip("-").partition("=")
    key = key.strip()
    if not sep or not key or any(not p for p in key.split(".")):
        raise ConfigError(f"override {item!r} must look like key=value, for example lr=1e-6")
    return key.split("."), raw


def read_value(raw: str) -> Any:
    """An untyped value: JSON when it parses (numbers, true/false, null, lists, objects), else the text itself.

    >>> [read_value(x) for x in ("30", "false", "counting", "[1, 2]", "1e-4")]
    [30, False, 'counting', [1, 2], 0.0001]
    """
    import json

    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def apply_override(tree: dict[str, Any], item: str, cls: type[Settings] | None = None) -> None:
    """Apply one ``a.b.c=value`` to the raw mapping ``tree`` of a ``cls`` (None: a free mapping).

    Sections and mapping fields are walked into; a deprecated key is moved to its new place (with a warning);
    an unknown key raises ConfigError with a "did you mean".
    """
    path, raw = split_override(item)
    node, klass = tree, cls
    while path:
        part, rest = path[0], path[1:]
        if klass is not None and part not in _hints(klass):
            if part not in klass.ALIASES:
                raise _unknown(klass, part, f"override {item!r}")
            moved = _dealias(klass, part, f"override {item!r}")
            if moved is None:
                return
            path = moved + rest
            continue
        tp = _hints(klass)[part] if klass is not None else None
        if not rest:
            node[part] = raw if klass is not None else read_value(raw)
            return
        if klass is not None and not (_section(tp) or _is_mapping(tp)):
            raise ConfigError(f"override {item!r}: {part} is not a mapping, so {'.'.join([part, *rest])!r} "
                              f"cannot reach into it; use {part}=VALUE")
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {item!r}: {part} holds {child!r}, not a mapping")
        node, klass, path = child, (_section(tp) if klass is not None else None), rest


def parse_kv(items: Iterable[str] | None) -> dict[str, Any]:
    """A free mapping from ``k=v`` items (``--env-kw``); values read by :func:`read_value`, dotted keys nest.

    >>> parse_kv(["max_turns=30", "family=counting", "strict=true", "colors.n=3"])
    {'max_turns': 30, 'family': 'counting', 'strict': True, 'colors': {'n': 3}}
    """
    out: dict[str, Any] = {}
    for item in items or ():
        apply_override(out, item)
    return out
