"""Solver code for the synthetic task families: what the scripted expert writes in its code turn.

:func:`solver_code` finds a family's builder through its row in :mod:`pyvision_envs.catalog` (imported on
first use, like a generator) and returns sandbox code that reads only the task's media and
public facts and prints ``ANSWER: <x>``. Image builders are in :mod:`agents.solvers.image`, video builders
(which sample frames on demand) in :mod:`agents.solvers.video`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyvision_envs import catalog

__all__ = ["FRAME_BUDGET", "solver_code"]

FRAME_BUDGET = 0.10
"""The largest share of a video's frames the expert's code may decode."""


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
        builder = catalog.load(catalog.family(family).solver)
    except KeyError:  # real data, or a plug-in family without a solver
        return None
    try:
        return builder(public, show_frames=show_frames, budget=budget)
    except (KeyError, TypeError, ValueError):  # public facts missing or malformed: no code, guess instead
        return None
