"""``pyvision-rl train``: GRPO with oversample-filter-rank from a YAML config plus ``key=value`` overrides.

Usage::

    pyvision-rl train --config examples/configs/grpo_tiny.yaml [key=value ...] [--resume] [--preset NAME]
    pyvision-rl train --help-config            # every config field with its description
    python -m trainers.cli train ...           # the same, without the console script (trainers/cli.py)

Data parallel: ``accelerate launch --multi_gpu --num_processes N -m trainers.cli train --config FILE`` (on CPU
too: accelerate then starts N gloo processes). ``--resume`` continues from the latest checkpoint in
``output_dir`` exactly. Exit status 0 on success, 2 on a configuration error (the message says what to change).
"""

from __future__ import annotations

import argparse
import operator
import sys
from collections.abc import Sequence

from trainers.config import ConfigError, GRPOConfig, field_docs, load_config
from trainers.settings import Settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyvision-rl train", description="GRPO training with oversample-filter-rank "
                                "on a PyVision environment (SPEC section 4).")
    p.add_argument("--config", metavar="FILE", help="YAML config (GRPOConfig fields); defaults when omitted")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="config overrides applied after the file, e.g. steps=20 batch.max_rounds=3 "
                   "env_kwargs.difficulty=easy")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in output_dir")
    p.add_argument("--preset", metavar="NAME", help="shorthand for model=NAME (tiny, tiny-vl, smollm2-135m, a folder)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--help-config", action="store_true", help="list every config field and exit")
    return p


def _print_fields() -> None:
    defaults = GRPOConfig()
    for name, doc in field_docs(GRPOConfig).items():
        value = operator.attrgetter(name)(defaults)
        head = f"{name}:" if isinstance(value, Settings) else f"{name} = {value!r}"
        print(f"{head}\n    {' '.join(doc.split())}")
    print("deprecated keys (still accepted, with a warning): "
          + ", ".join(f"{old} -> {new}" for old, new in GRPOConfig.ALIASES.items()))


def _report(result: object) -> None:
    m = getattr(result, "last_metrics", {}) or {}
    print(f"done: {result.steps} steps in {result.output_dir}")  # type: ignore[attr-defined]
    if m:
        print(f"  last step: reward {m.get('rollout/reward', 0):.3f}, accuracy {m.get('rollout/accuracy', 0):.3f}, "
              f"tool calls/episode {m.get('rollout/tool_calls', 0):.2f}, kept {int(m.get('ofr/kept', 0))}")
    ev = getattr(result, "eval", None)
    if ev:
        print(f"  held-out ({ev.episodes} episodes): accuracy {ev.accuracy:.3f}, tool calls/episode "
              f"{ev.mean_tool_calls:.2f}, turns {ev.mean_turns:.2f}")
    print(f"  policy: {result.policy_dir}")  # type: ignore[attr-defined]
    for path in getattr(result, "plots", []):
        print(f"  plot: {path}")


def train_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pyvision-rl train``; returns the exit status."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.help_config:
        _print_fields()
        return 0
    overrides = list(args.overrides)
    if args.preset:
        overrides.append(f"model={args.preset}")
    if args.resume:
        overrides.append("resume=true")
    if args.no_progress:
        overrides.append("progress=false")
    try:
        cfg = load_config(args.config, overrides, GRPOConfig)
        from trainers.grpo.trainer import GRPOTrainer  # lazy: torch and transformers

        trainer = GRPOTrainer(cfg)
        result = trainer.train()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if trainer.is_main:
        _report(result)
    return 0

