"""Ablations of the paper's two claims from one SFT start: the accumulative tool reward on/off x batching mode.

Command (from the repository root)::

    .venv/bin/python examples/ablation.py                       # the tiny grid: 2 x 3 variants x 3 seeds (11 min)
    .venv/bin/python examples/ablation.py --quick               # a minimal grid (seconds per run; for tests)
    .venv/bin/python examples/ablation.py --preset smollm2-135m modes=ofr   # real weights, the tool-reward pair
    # any key of examples/configs/ablation.yaml can be overridden: seeds=5 grpo.steps=12 eval.episodes=128
    # --resume reuses the SFT start and finished runs in --out: extend a grid (seeds=5) or finish a broken one
    # jobs=N trains N runs at once, each in its own process (the tiny preset's default: 2)

What it does (``examples/configs/ablation.yaml`` sets every number):

1. **record** the cold-start set on ``PyVision/VisualSearchMix-Easy-v0`` (quadrant questions need looking; shape
   questions are usually a circle, so a guess often suffices) with a flaky tool (``tool_failure_rate``): the
   ``short-expert`` looks (and runs its code again after a failure), the ``guesser`` answers from the prior.
2. **sft**: one SFT of the preset on both; the SFT policy sometimes looks and otherwise guesses. It is evaluated
   once on the held-out episodes: the ``start`` row of every variant (one evaluation, so not pooled over seeds).
3. **grpo**: for every variant (``tool_reward`` on/off: ``batch.train_on_tool_reward``; ``mode`` = ofr / filter /
   none: ``batch.mode``) and every seed, GRPO from that same SFT policy, evaluated on the same held-out episodes
   halfway (``mid``) and at the end (``end``).
4. **report**: ``ablation.md`` / ``ablation.csv`` (held-out accuracy with a 95% Wilson interval pooled over seeds,
   the per-seed accuracies, tool calls per episode, share of episodes without a call, tool error rate) and
   ``curves.png`` (per GRPO step, one curve per variant with a min-max seed band). Each run's own
   ``metrics.jsonl`` and ``plots/tool_use.png`` (the interaction-collapse monitor) are under ``runs/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing

from examples.main_job import EvalPhase, RecordPhase, _merge, evaluate, record_cold_start  # noqa: E402
from trainers.ablation_report import EvalCounts, plot_curves, render_markdown, table_rows, write_csv  # noqa: E402
from trainers.config import read_yaml  # noqa: E402
from trainers.grpo.ofr import OFR_MODES  # noqa: E402
from trainers.rollout import RolloutSettings  # noqa: E402
from trainers.settings import ConfigError, Settings, apply_override, build  # noqa: E402

DEFAULT_CONFIG = ROOT / "examples" / "configs" / "ablation.yaml"
SWITCH = {"on": True, "off": False}


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@dataclass
class Ablation(Settings):
    """The ablation's YAML: shared keys, the grid, one section per phase, and ``sft``/``grpo`` config fields."""

    preset: str = "tiny"
    """Policy to start from: ``tiny`` (random weights, 1M parameters) or ``smollm2-135m``."""
    env_id: str = "PyVision/VisualSearchMix-Easy-v0"
    """Environment of every phase."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """``gym.make`` keywords of every phase (``tool_failure_rate`` makes tool errors exist)."""
    seed: int = 0
    """Seed of the SFT start and of the first GRPO run; GRPO seeds are ``seed .. seed + seeds - 1``."""
    seeds: int = 3
    """GRPO runs per variant, each with its own seed (rollout sampling and prompt order)."""
    tool_reward: str = "on,off"
    """Comma-separated: train on the accumulative tool reward (``on``) or on accuracy alone (``off``)."""
    modes: str = "ofr,filter,none"
    """Comma-separated batching modes (``batch.mode``): ``ofr``, ``filter``, ``none``."""
    output_dir: str = "runs/ablation"
    """Output folder (``--out`` overrides it)."""
    jobs: int = 1
    """GRPO runs trained at once, each in its own process with ``cores // jobs`` torch threads. A tiny model's
    matrices are too small to keep two threads busy, so ``jobs=2`` on 2 cores finishes the grid sooner. Numbers
    match a ``jobs=1`` grid only up to float reduction order (the thread count changes it)."""
    max_turns: int = 3
    """Model turns per episode in GRPO and the evaluations."""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    """Sampling of the GRPO rollouts and of the held-out evaluations (GRPOConfig's ``rollout`` section)."""
    record: RecordPhase = field(default_factory=RecordPhase)
    """The cold-start recording."""
    eval: EvalPhase = field(default_factory=EvalPhase)
    """The held-out evaluations (start, middle and end of every run: the same episodes)."""
    sft: dict[str, Any] = field(default_factory=dict)
    """SFTConfig fields (trainers/config.py documents each one)."""
    grpo: dict[str, Any] = field(default_factory=dict)
    """GRPOConfig fields shared by every run, sections nested (``grpo.monitor.window=3``)."""

    def validate(self) -> None:
        """Known switches and modes, at least one of each, at least one seed."""
        self._positive("seeds", "max_turns", "jobs")
        if not _names(self.tool_reward) or set(_names(self.tool_reward)) - set(SWITCH):
            self._fail("tool_reward", "must list on and/or off, comma-separated (e.g. on,off)")
        if not _names(self.modes) or set(_names(self.modes)) - set(OFR_MODES):
            self._fail("modes", f"must list some of {', '.join(OFR_MODES)}, comma-separated")

    def variants(self) -> list[tuple[str, bool, str]]:
        """(name, train on the tool reward, mode) of every variant, tool reward first."""
        return [(f"tool-{tr}/{mode}", SWITCH[tr], mode) for tr in _names(self.tool_reward) for mode in _names(self.modes)]

    def run_seeds(self) -> list[int]:
        """The GRPO seeds of every variant."""
        return list(range(self.seed, self.seed + self.seeds))


def load_ablation(path: str | Path, overrides: list[str], preset: str | None = None, quick: bool = False) -> Ablation:
    """Read the YAML, merge the preset's ``presets:`` entry (and ``quick:`` with ``quick``), apply overrides."""
    values = read_yaml(path)
    if preset:
        values["preset"] = preset
    presets, small = values.pop("presets", None) or {}, values.pop("quick", None) or {}
    values = _merge(values, presets.get(values.get("preset", "tiny"), {}))
    if quick:
        values = _merge(values, small)
    for item in overrides:
        apply_override(values, item, Ablation)
    return build(Ablation, values, str(path))


def build_configs(abl: Ablation, out: Path) -> tuple[Any, dict[tuple[str, int], Any]]:
    """The validated SFT config and one GRPO config per (variant, seed), seed by seed."""
    from trainers.config import GRPOConfig, SFTConfig

    shared = {"env_id": abl.env_id, "env_kwargs": abl.env_kwargs, "max_turns": abl.max_turns}
    sft = build(SFTConfig, {**shared, "seed": abl.seed, "model": abl.preset, "output_dir": str(out / "sft"),
                            "data_path": str(out / "data" / "cold_start.jsonl"), **abl.sft}, "ablation section sft")
    runs = {}
    # seed-major: a grid stopped part-way holds every variant for the seeds it finished (--resume adds the rest)
    for seed in abl.run_seeds():
        for name, tool_reward, mode in abl.variants():
            values = _merge({**shared, "model": str(out / "sft" / "final"), "eval_seed": abl.eval.seed,
                             "rollout": dataclasses.asdict(abl.rollout)}, abl.grpo)
            values = _merge(values, {"seed": seed, "output_dir": str(out / "runs" / name.replace("/", "_") / f"seed{seed}"),
                                     "batch": {"mode": mode, "train_on_tool_reward": tool_reward}})
            runs[name, seed] = build(GRPOConfig, values, f"ablation section grpo ({name}, seed {seed})")
    return sft, runs


def grpo_run(cfg: Any, abl: Ablation, label: str) -> dict[str, EvalCounts]:
    """One GRPO run from the SFT policy, evaluated on the held-out episodes halfway and at the end."""
    from trainers.grpo.trainer import GRPOTrainer

    judge = dataclasses.replace(abl, seed=cfg.seed)  # the run's seed also seeds the evaluation's sampling
    counts: dict[str, EvalCounts] = {}

    def halfway(trainer: Any, _metrics: dict[str, float]) -> None:
        if trainer.step == max(cfg.steps // 2, 1) and cfg.steps > 1:
            counts["mid"] = EvalCounts.of(evaluate(trainer.bundle, judge, f"{label} mid")[1])

    trainer = GRPOTrainer(cfg)
    trainer.train(on_step=halfway)
    counts["end"] = EvalCounts.of(evaluate(trainer.bundle, judge, f"{label} end")[1])
    return counts


def _worker(threads: int, grid: int) -> None:
    """Pool initializer: die with the grid's process, and take this run's share of the cores."""
    import ctypes
    import signal

    import torch

    # PR_SET_PDEATHSIG: a killed grid must not leave its runs training on (pool workers outlive their parent)
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != grid:  # it died before the line above
        os._exit(1)
    torch.set_num_threads(threads)  # torch would otherwise start one thread per core in every run


def _train(cfg: Any, abl: Ablation, label: str) -> dict[str, EvalCounts]:
    """Train and evaluate one run and save its counts next to it (what ``--resume`` reuses)."""
    t0 = time.perf_counter()
    counts = grpo_run(cfg, abl, label)
    _keep(Path(cfg.output_dir) / "ablation_counts.json", dataclasses.asdict(cfg), counts)
    seconds = time.perf_counter() - t0
    print(f"[{label}] end accuracy {counts['end'].accuracy:.3f}, tool calls/episode "
          f"{counts['end'].calls / max(counts['end'].episodes, 1):.2f} ({seconds:.0f} s)", flush=True)
    return counts


def train_runs(abl: Ablation, todo: dict[tuple[str, int], Any]) -> dict[tuple[str, int], dict[str, EvalCounts]]:
    """Every run in ``todo``: in this process with ``jobs=1``, else ``jobs`` spawned processes at a time."""
    if abl.jobs == 1 or len(todo) <= 1:
        return {key: _train(cfg, abl, f"{key[0]} seed {key[1]}") for key, cfg in todo.items()}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a forked child would inherit torch's thread pool and the sandbox's fork-server connection
    pool = ProcessPoolExecutor(max_workers=min(abl.jobs, len(todo)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker, initargs=(max(1, (os.cpu_count() or 1) // abl.jobs), os.getpid()))
    try:
        futures = {key: pool.submit(_train, cfg, abl, f"{key[0]} seed {key[1]}") for key, cfg in todo.items()}
        return {key: future.result() for key, future in futures.items()}
    finally:  # a failed run stops the grid: runs not started are dropped (finished ones are saved for --resume)
        pool.shutdown(cancel_futures=True)


def _reuse(path: Path, spec: Any, resume: bool, what: str) -> dict[str, EvalCounts] | None:
    """The counts a finished phase saved at ``path`` (with ``--resume``); its settings must equal ``spec``."""
    if not (resume and path.is_file()):
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved["spec"] != json.loads(json.dumps(spec, default=str)):
        raise ConfigError(f"--resume: {path} was written with other settings for {what}; use another --out or "
                          "drop --resume")
    return {k: EvalCounts(**v) for k, v in saved["counts"].items()}


def _keep(path: Path, spec: Any, counts: dict[str, EvalCounts]) -> None:
    path.write_text(json.dumps({"spec": spec, "counts": {k: dataclasses.asdict(c) for k, c in counts.items()}},
                               default=str), encoding="utf-8")


def sft_start(abl: Ablation, sft_cfg: Any, out: Path, resume: bool) -> tuple[EvalCounts, dict[str, Any]]:
    """Record, SFT and evaluate the start policy, or (``resume``) reuse what an earlier call saved."""
    from agents.presets import load_preset
    from trainers.sft import SFTTrainer

    spec = {k: dataclasses.asdict(abl)[k] for k in ("preset", "env_id", "env_kwargs", "seed", "max_turns",
                                                    "rollout", "record", "eval", "sft")}
    saved = _reuse(out / "start.json", spec, resume, "the SFT start")
    if saved is not None:
        return saved["start"], {"reused": str(out / "start.json")}
    data = record_cold_start(abl, out)
    sft = SFTTrainer(sft_cfg)
    sft.train()
    start = EvalCounts.of(evaluate(load_preset(str(out / "sft" / "final")), abl, "SFT start")[1])
    _keep(out / "start.json", spec, {"start": start})
    return start, data


def run(abl: Ablation, out: Path, resume: bool = False) -> dict[str, Any]:
    """Record, SFT, the start evaluation, every GRPO run, then the table and curves; returns the report.

    With ``resume``, the SFT start and every run that finished in ``out`` earlier (with the same settings) are
    reused, so an interrupted or extended grid (more seeds, another mode) only runs what is missing.
    """
    t_start = time.perf_counter()
    sft_cfg, runs = build_configs(abl, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.yaml").write_text(yaml.safe_dump(dataclasses.asdict(abl), sort_keys=False), encoding="utf-8")
    start, data = sft_start(abl, sft_cfg, out, resume)
    print(f"[sft] start accuracy {start.accuracy:.3f} ({time.perf_counter() - t_start:.0f} s)", flush=True)
    results: dict[str, dict[int, dict[str, EvalCounts]]] = {}
    metrics: dict[str, dict[int, Path]] = {}
    saved = {key: _reuse(Path(cfg.output_dir) / "ablation_counts.json", dataclasses.asdict(cfg), resume,
                         f"{key[0]} seed {key[1]}") for key, cfg in runs.items()}
    trained = train_runs(abl, {key: cfg for key, cfg in runs.items() if saved[key] is None})
    for (name, seed), cfg in runs.items():
        counts = trained.get((name, seed)) or saved[name, seed]
        # the start is one evaluation shared by every run: counted once per variant, not once per seed
        results.setdefault(name, {})[seed] = {**({"start": start} if seed == abl.seed else {}), **counts}
        metrics.setdefault(name, {})[seed] = Path(cfg.output_dir) / "metrics.jsonl"
    rows = table_rows(results)
    table = render_markdown(rows)
    (out / "ablation.md").write_text(table + "\n", encoding="utf-8")
    write_csv(rows, out / "ablation.csv")
    curves = plot_curves(metrics, out / "curves.png")
    report = {"config": dataclasses.asdict(abl), "data": data, "rows": rows, "curves": str(curves),
              "counts": {v: {str(s): {p: dataclasses.asdict(c) for p, c in ph.items()} for s, ph in seeds.items()}
                         for v, seeds in results.items()},
              "total_seconds": round(time.perf_counter() - t_start, 1)}
    (out / "ablation.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print("\n" + table + f"\n\ncurves: {curves}\ntable: {out / 'ablation.md'}, {out / 'ablation.csv'} "
          f"(total {report['total_seconds']:.0f} s)")
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the grid."""
    p = argparse.ArgumentParser(description="GRPO ablations from one SFT start: tool reward on/off x batching "
                                            "mode, several seeds; held-out table and per-step curves.")
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="ablation YAML (default: %(default)s)")
    p.add_argument("--preset", help="policy preset to start from (tiny, smollm2-135m); overrides the config")
    p.add_argument("--quick", action="store_true", help="merge the config's quick: entry (a minimal grid)")
    p.add_argument("--out", help="output folder (default: the config's output_dir)")
    p.add_argument("--resume", action="store_true",
                   help="reuse the SFT start and the finished runs in the output folder (same settings only)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. seeds=5 modes=ofr,none grpo.steps=12")
    args = p.parse_args(argv)
    try:
        abl = load_ablation(args.config, args.overrides, args.preset, args.quick)
        out = Path(args.out or abl.output_dir)
        build_configs(abl, out)  # every config error before any work
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run(abl, out, resume=args.resume)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
