"""Solver code for the synthetic task families: what the scripted expert writes in its code turn.

A solver is a real Python function, linted and importable like any other, named by its family's row in
:mod:`pyvision_envs.catalog` (``agents.solvers.image:counting``). Its first parameter is the task's media
(``image`` or ``video``); the others are public facts of the task (``target_color``, ``choices`` ...) and the
expert's settings (``show_frames``, ``budget``). It prints how it got there and returns the answer.

:func:`solver_code` ships a solver to the sandbox as source: the module's imports, the source of every helper
it calls (found through the names its code uses, :func:`inspect.getsource`), the solver itself, and one line
that calls it on ``image_clue_0`` / ``video_clue_0`` with the facts as literals and prints ``ANSWER: <x>``.
The code reads only the media and the public facts, never the answer. Sandbox rules apply to solver code: only
allowed imports, no names starting with ``_``, no file I/O, and ``show`` is the sandbox's.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from pyvision_envs import catalog

__all__ = ["FRAME_BUDGET", "program", "show", "solver_code"]

FRAME_BUDGET = 0.10
"""The largest share of a video's frames the expert's code may decode."""

MEDIA = {"image": "image_clue_0", "video": "video_clue_0"}
"""The sandbox name a solver's first parameter is bound to."""

SETTINGS = ("show_frames", "budget")
"""Parameters filled from the expert's settings, not from the task's public facts."""


def show(image: Any) -> None:
    """Outside the sandbox (a solver called directly, e.g. in a test) showing a figure does nothing.

    Shipped code calls the sandbox's own ``show``, which returns the figure to the policy.
    """


def helpers(solver: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The functions of the solver's module that ``solver`` needs, dependencies first, ``solver`` last."""
    found: list[Callable[..., Any]] = []

    def names(code: Any) -> set[str]:
        out = set(code.co_names)
        for const in code.co_consts:
            if inspect.iscode(const):
                out |= names(const)
        return out

    def visit(fn: Callable[..., Any]) -> None:
        for name in sorted(names(fn.__code__)):
            obj = fn.__globals__.get(name)
            if inspect.isfunction(obj) and obj.__module__ == solver.__module__ and obj not in found and obj is not fn:
                visit(obj)
        if fn not in found:
            found.append(fn)

    visit(solver)
    return found


def program(solver: Callable[..., Any], public: Mapping[str, Any], **settings: Any) -> str:
    """Sandbox source that runs ``solver`` on the task's media with its public facts and prints the answer.

    Raises:
        KeyError: A fact the solver needs (a parameter without a default) is not in ``public``.
    """
    params = list(inspect.signature(solver).parameters.values())
    args = []
    for p in params[1:]:
        if p.name in SETTINGS and p.name in settings:
            args.append(f"{p.name}={settings[p.name]!r}")
        elif p.name in public:
            args.append(f"{p.name}={_literal(public[p.name])!r}")
        elif p.default is inspect.Parameter.empty:
            raise KeyError(f"{solver.__name__} needs the public fact {p.name!r}")
    module = sys.modules[solver.__module__]
    sources = [textwrap.dedent(inspect.getsource(fn)).strip() for fn in helpers(solver)]
    call = f'print("ANSWER:", {solver.__name__}({MEDIA[params[0].name]}, {", ".join(args)}))'
    return "\n\n\n".join([module.SANDBOX_IMPORTS.strip(), *sources, call]) + "\n"


def _literal(value: Any) -> Any:
    """Plain lists, dicts, strings and numbers, so that ``repr`` gives a Python literal."""
    if isinstance(value, Mapping):
        return {str(k): _literal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_literal(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"public fact of type {type(value).__name__} has no literal form")


def solver_code(family: str, public: Mapping[str, Any], show_frames: int = 1,
                budget: float = FRAME_BUDGET) -> str | None:
    """Sandbox code that solves a task of ``family`` from its public facts, or ``None`` without a solver.

    Args:
        family: The task's family (``info["family"]``); real data has no solver.
        public: The task's public facts (``info["task_public"]``).
        show_frames: Images the code shows back (a zoomed region, or frames side by side); 0 for none.
        budget: Largest share of a video's frames the code decodes.
    """
    try:
        solver = catalog.load(catalog.family(family).solver)
    except KeyError:  # real data, or a plug-in family without a solver
        return None
    try:
        return program(solver, public, show_frames=int(show_frames), budget=float(budget))
    except (KeyError, TypeError):  # public facts missing or malformed: no code, guess instead
        return None
