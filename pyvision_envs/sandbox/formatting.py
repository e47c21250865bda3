"""Format strings that agent code controls, with every field lookup going through the sandbox's rules.

``str.format`` reads attribute chains (``{0.__class__.__mro__}``, ``{x.__globals__[sys]}``), so it is a way
round the attribute guard wherever a format string reaches it: ``str.format`` itself (``guards``), and
library code that formats a caller's string (matplotlib's ``StrMethodFormatter`` behind
``set_major_formatter('{x}')`` and ``colorbar(format=...)``, and ``bar_label(fmt=...)``).
"""

from __future__ import annotations

import string
import types
from collections.abc import Callable
from typing import Any

from pyvision_envs.sandbox.facades import is_blocked_name


def plain_getattr(obj: Any, name: str) -> Any:
    """The attribute rule every format string obeys: no ``_`` or capability names, no modules."""
    if is_blocked_name(name):
        raise AttributeError(f'"{name}" is not allowed in a format string in the sandbox')
    value = getattr(obj, name)
    if isinstance(value, types.ModuleType):
        raise AttributeError(f'"{name}" is a module; modules are not reachable in the sandbox')
    return value


class SafeFormatter(string.Formatter):
    """``str.format`` whose ``{0.attr}`` / ``{0[key]}`` fields go through ``getattr_``."""

    def __init__(self, getattr_: Callable[..., Any] = plain_getattr) -> None:
        self._getattr = getattr_

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        """Resolve one replacement field, one guarded step at a time."""
        first, rest = _formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = self._getattr(obj, key) if is_attr else obj[key]
        return obj, first


def _formatter_field_name_split(field_name: str) -> Any:
    import _string  # CPython's own parser, so our split matches str.format's exactly

    return _string.formatter_field_name_split(field_name)


def harden_matplotlib() -> None:
    """Route matplotlib's own ``str.format`` calls on caller strings through ``SafeFormatter``.

    Runs in the fork server before any worker exists; workers inherit the patched classes.
    """
    from matplotlib import cbook, ticker

    fmt = SafeFormatter()

    def str_method_call(self: ticker.StrMethodFormatter, x: Any, pos: Any = None) -> str:
        return fmt.format(self.fmt, x=x, pos=pos)

    def auto_format_str(template: str, value: Any) -> str:
        try:
            return template % (value,)
        except (TypeError, ValueError):
            return fmt.format(template, value)

    ticker.StrMethodFormatter.__call__ = str_method_call
    cbook._auto_format_str = auto_format_str
