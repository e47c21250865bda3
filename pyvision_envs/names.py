"""One "did you mean" message for every lookup by name (families, graders, agents, config keys)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """The message for an unknown ``name`` of ``kind``: what is known, and the closest match if any.

    Examples:
        >>> unknown_name("grader", "numerc", ["numeric", "exact"])
        "unknown grader 'numerc'; known: ['exact', 'numeric']. Did you mean 'numeric'?"
        >>> unknown_name("agent", "zzz", ["expert"])
        "unknown agent 'zzz'; known: ['expert']."
    """
    known = sorted(known)
    hint = difflib.get_close_matches(name, known, n=1)
    extra = f" Did you mean {hint[0]!r}?" if hint else ""
    return f"unknown {kind} {name!r}; known: {known}.{extra}"
