"""parse_action on hostile turns: seconds per shape, and the growth when the turn doubles (1 linear, 2 quadratic).

    PYTHONPATH=. .venv/bin/python bench/parse_action.py [--chars 1000000]

Each shape is parsed at ``chars / 2`` and at ``chars`` characters (``max_chars`` raised past both, so the parser
really reads them); ``growth`` is the ratio of the two times divided by 2, so the baseline is the same run's
half-size time. Without ``PYTHONPATH=.`` the script imports the installed package (the main checkout), which is
how the before figures were taken.
"""

from __future__ import annotations

import argparse
import inspect
import time

from pyvision_envs import protocol

SHAPES = {
    "nested \\boxed{": "\\boxed{",
    "<code> repeated": "<code>",
    "``` fences": "```python\n",
    "<code> + fence": "<code>\n```python\nx\n",
    "<answer> unclosed": "<answer>\\boxed{",
    "mixed": "<code>\\boxed{```py\n<answer>{",
}


def seconds(text: str) -> float:
    raised = {"max_chars": len(text) + 1} if "max_chars" in inspect.signature(protocol.parse_action).parameters else {}
    t0 = time.perf_counter()
    protocol.parse_action(text, **raised)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"parser: {protocol.__file__}; {args.chars:,} characters")
    print(f"{'shape':20s} {'half s':>8s} {'full s':>8s} {'growth':>7s}")
    for name, unit in SHAPES.items():
        full = unit * (args.chars // len(unit))
        half = full[: len(full) // 2]
        a, b = seconds(half), seconds(full)
        print(f"{name:20s} {a:8.3f} {b:8.3f} {b / max(a, 1e-9) / 2:7.2f}")


if __name__ == "__main__":
    main()
