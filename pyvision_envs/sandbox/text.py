"""Text from the worker is hostile data: lone surrogates are replaced and length caps are applied here."""

from __future__ import annotations

ERROR_CHARS = 4000  # an error message is cut to this many characters, by the worker and again by the host


def scrub(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so UTF-8 writers and tokenizers never fail on it."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def elide(text: str, cap: int, total: int | None = None) -> str:
    """Keep the head and tail of ``text`` (``cap`` characters in all) and say how much of the middle was cut.

    ``total`` is the full length when ``text`` is already a head-plus-tail excerpt of something longer.
    """
    total = len(text) if total is None else total
    if total <= cap and len(text) <= cap:
        return text
    head = text[: cap // 2]
    tail = text[len(text) - (cap - len(head)):] if cap > len(head) else ""
    return f"{head}\n... [{total - len(head) - len(tail)} characters elided] ...\n{tail}"
