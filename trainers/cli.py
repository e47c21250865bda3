"""The ``pyvision-rl`` command line (also ``python -m trainers.cli``).

Built-in commands::

    pyvision-rl list [--json]
    pyvision-rl eval --env ID --agent NAME --episodes N [--seed S] [--json] [--out DIR]
                     [--env-kw k=v ...] [--agent-kw k=v ...] [--no-progress]

``k=v`` values are read as JSON when they parse (``max_turns=30``, ``image_in_context=false``), else as text.

More commands (``train``, ``sft``, ``record``): a command is a function ``main(argv: list[str]) -> int | None``
that parses its own arguments, declared as a row of :data:`COMMANDS` (``name -> Command("module:function",
"one-line help")``). Its module is imported only when the command runs, so ``pyvision-rl list`` stays fast and
torch-free. Agents are built by name through :func:`agents.base.make_agent`, which also finds plug-ins declared
under the ``pyvision_rl.agents`` entry point.

This module sits at the top of the import order (it uses ``agents`` and ``pyvision_envs``); the environment
package imports nothing from here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agents.base import agent_names, make_agent
from trainers import settings


@dataclass(frozen=True)
class Command:
    """An extra subcommand: ``target`` is ``"module:function"``, loaded only when the command runs."""

    target: str
    help: str = ""

    def load(self) -> Callable[[list[str]], int | None]:
        """Import and return the command's function.

        Raises:
            SystemExit: The module cannot be imported (say which, and what to install).
        """
        module, _, func = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module), func)
        except ImportError as exc:
            raise SystemExit(f"error: this command lives in {module}, which could not be imported ({exc}); "
                             "install the extra it needs, e.g. `pip install -e .[train]`") from exc


COMMANDS: dict[str, Command] = {
    "train": Command("trainers.train_cli:train_main", "GRPO training with oversample-filter-rank"),
    "record": Command("trainers.record:main", "record agent trajectories as JSONL chat data"),
    "sft": Command("trainers.sft:main", "supervised fine-tuning on recorded trajectories"),
}
"""Subcommands beyond ``list`` and ``eval``: ``name -> Command("module:function", help)``, imported on use."""


def parse_kv(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    """Read ``k=v`` pairs with the one override parser (:func:`trainers.settings.parse_kv`): JSON values, else text.

    >>> parse_kv(["max_turns=30", "family=counting", "strict=true"], "--env-kw")
    {'max_turns': 30, 'family': 'counting', 'strict': True}
    """
    try:
        return settings.parse_kv(items)
    except settings.ConfigError as exc:
        raise SystemExit(f"error: {flag} expects key=value: {exc}") from None


def cmd_list(args: argparse.Namespace) -> int:
    """Print the environment ids (with what each needs) and the agent names."""
    from pyvision_envs.registration import all_presets

    presets = all_presets()
    agents = agent_names()
    if args.json:
        print(json.dumps({"envs": [{"id": p.id, "needs": list(p.needs), "description": p.description}
                                   for p in presets], "agents": agents}))
        return 0
    width = max(len(p.id) for p in presets)
    print("environments:")
    for p in presets:
        needs = f"  [needs {', '.join(p.needs)}]" if p.needs else ""
        print(f"  {p.id:<{width}}  {p.description}{needs}")
    print("agents:\n  " + (", ".join(agents) if agents else "(none found)"))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run episodes, print the summary table (or JSON), optionally write transcripts."""
    import gymnasium as gym

    import pyvision_envs  # noqa: F401  (registers the ids)
    from pyvision_envs.eval import evaluate

    env_kw, agent_kw = parse_kv(args.env_kw, "--env-kw"), parse_kv(args.agent_kw, "--agent-kw")
    try:
        env = gym.make(args.env, **env_kw)
        agent = make_agent(args.agent, **agent_kw)
    except (gym.error.Error, KeyError, TypeError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary, _ = evaluate(env, agent, args.episodes, seed=args.seed, env_id=args.env, agent_name=args.agent,
                              out_dir=args.out, progress=not args.no_progress)
    finally:
        env.close()
        if callable(getattr(agent, "close", None)):
            agent.close()  # a served agent stops the server it launched
    print(json.dumps(summary.as_dict()) if args.json else summary.table())
    if args.out and not args.json:
        print(f"transcripts: {args.out}/index.md")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of the built-in commands; extra commands are listed in its epilog."""
    extras = COMMANDS
    epilog = "more commands: " + ", ".join(f"{n} ({c.help})" if c.help else n for n, c in sorted(extras.items())) \
        if extras else None
    parser = argparse.ArgumentParser(prog="pyvision-rl", description="PyVision-RL environments and tools.",
                                     epilog=epilog)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_list = sub.add_parser("list", help="list environment ids and agents")
    p_list.add_argument("--json", action="store_true", help="print one JSON object")
    p_list.set_defaults(func=cmd_list)
    p_eval = sub.add_parser("eval", help="run an agent on an environment and summarize")
    p_eval.add_argument("--env", required=True, help="environment id, e.g. PyVision/Counting-v0")
    p_eval.add_argument("--agent", required=True, help="agent name (see `pyvision-rl list`)")
    p_eval.add_argument("--episodes", type=int, default=10, help="number of episodes (default 10)")
    p_eval.add_argument("--seed", type=int, default=0, help="episode i is reset with seed S + i (default 0)")
    p_eval.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p_eval.add_argument("--out", help="folder for per-episode transcripts (Markdown + PNG) and summaries")
    p_eval.add_argument("--env-kw", nargs="*", metavar="K=V", help="keywords for gym.make")
    p_eval.add_argument("--agent-kw", nargs="*", metavar="K=V", help="keywords for the agent")
    p_eval.add_argument("--no-progress", action="store_true", help="no progress bar")
    p_eval.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pyvision-rl``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extras = COMMANDS
    if argv and argv[0] in extras and argv[0] not in ("list", "eval"):
        return int(extras[argv[0]].load()(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    if getattr(args, "episodes", 1) < 1:
        print(f"error: --episodes must be at least 1, got {args.episodes}", file=sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
