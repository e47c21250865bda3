"""The main job: SFT cold start, then GRPO with oversample-filter-rank, on a laptop CPU in under 10 minutes.

Command (from the repository root; ``make demo`` runs it)::

    .venv/bin/python examples/main_job.py

    # the same job on the real SmolLM2-135M-Instruct weights (under 30 minutes on 2 CPU cores; make demo-smollm2):
    .venv/bin/python examples/main_job.py --preset smollm2-135m seed=0 --out runs/smollm2/seed0
    # any key of examples/configs/main_job.yaml can be overridden:
    .venv/bin/python examples/main_job.py --out runs/quick sft.steps=60 grpo.steps=4 eval.episodes=64
    # a GRPO section's field (trainers/config.py documents them): grpo.batch.max_rounds=3

Phases, each timed, each with a progress bar:

1. **record** cold-start data on ``PyVision/VisualSearch-Easy-v0`` with ``image_in_context=False`` (a text-only
   policy: the image exists only in Python). Two agents play the same seeds: the ``short-expert``
   (``agents/short_expert.py``) writes a ~250-token program that finds the target and prints the answer (its
   quadrant or shape), then answers with the printed word; the ``guesser`` answers at once without looking, and
   every guess is kept, right or wrong. So a direct answer says nothing about the image, and looking is the only
   way to be right more often than one time in four.
2. **sft**: a short SFT of the ``tiny`` preset (random weights) on that set, loss on assistant tokens only. The
   SFT policy inherits both habits: on a new question it sometimes looks, and otherwise guesses.
3. **grpo**: GRPO with oversample-filter-rank and the accumulative tool reward (``trainers/grpo/trainer.py``),
   starting from the SFT policy. Looking pays (the program is right far more often than a guess), so groups
   that mix lookers and guessers carry a strong, consistent advantage: RL learns to use the tool.
4. **eval**: both policies play the same held-out episodes (same seeds, same sampling seed); the table gives
   accuracy with a 95% Wilson interval, tool calls per episode, the paired accuracy difference with its 95%
   interval and McNemar's exact test. ``report.md``, ``report.json`` and PNG plots go to the output folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing

from trainers.compare import compare, render_table, write_plots  # noqa: E402
from trainers.config import read_yaml  # noqa: E402
from trainers.rollout import RolloutSettings  # noqa: E402
from trainers.settings import ConfigError, Settings, apply_override, build  # noqa: E402

DEFAULT_CONFIG = ROOT / "examples" / "configs" / "main_job.yaml"


@dataclass
class RecordPhase(Settings):
    """Phase 1: the cold-start set."""

    episodes: int = 256
    """Episodes each agent plays (seeds ``0 .. episodes - 1``, the same for both)."""
    expert: str = "short-expert"
    """Agent that looks with code; its episodes are kept when correct (empty: none)."""
    guesser: str = "guesser"
    """Agent that answers at once; every guess is kept, right or wrong (empty: none)."""

    def validate(self) -> None:
        """At least one episode."""
        self._positive("episodes")


@dataclass
class EvalPhase(Settings):
    """Phase 4: the held-out episodes both policies play."""

    episodes: int = 192
    """Held-out episodes (the same seeds, and sampling seeds, for both policies)."""
    seed: int = 1_000_000
    """Seed of the first held-out episode (GRPO trains on seeds below it)."""

    def validate(self) -> None:
        """At least one episode."""
        self._positive("episodes")


@dataclass
class Job(Settings):
    """The main job's YAML: shared keys, one section per phase, and ``sft``/``grpo`` config fields."""

    preset: str = "tiny"
    """Policy to start from: ``tiny`` (random weights, 1M parameters) or ``smollm2-135m``."""
    env_id: str = "PyVision/VisualSearch-Easy-v0"
    """Environment of every phase."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """``gym.make`` keywords of every phase."""
    seed: int = 0
    """Run seed (SFT, GRPO and the sampling seeds of the evaluation)."""
    output_dir: str = "runs/main_job"
    """Output folder (``--out`` overrides it)."""
    max_turns: int = 3
    """Model turns per episode in GRPO and the evaluation."""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    """Sampling of the GRPO rollouts and of the held-out evaluation (GRPOConfig's ``rollout`` section)."""
    record: RecordPhase = field(default_factory=RecordPhase)
    """The cold-start recording."""
    eval: EvalPhase = field(default_factory=EvalPhase)
    """The held-out evaluation."""
    sft: dict[str, Any] = field(default_factory=dict)
    """SFTConfig fields (trainers/config.py documents each one)."""
    grpo: dict[str, Any] = field(default_factory=dict)
    """GRPOConfig fields, sections nested (``grpo.batch.max_rounds=3``)."""

    ALIASES: ClassVar[dict[str, str | None]] = {
        "temperature": "rollout.temperature", "max_new_tokens": "rollout.max_new_tokens",
        "max_context_tokens": "rollout.max_trajectory_tokens"}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``, mappings merged key by key at every depth."""
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = _merge(out[key], value) if both else value
    return out


def load_job(path: str | Path, overrides: list[str], preset: str | None = None) -> Job:
    """Read the job YAML, pick the preset, merge its ``presets:`` entry, then apply ``key=value`` overrides.

    The same machinery as every config (``trainers.settings``): overrides are ``key=value`` or dotted
    (``sft.steps=60``, ``grpo.batch.max_rounds=3``) and win over the preset's entry; unknown keys raise
    ``ConfigError`` with a "did you mean".
    """
    values = read_yaml(path)
    if preset:
        values["preset"] = preset
    presets = values.pop("presets", None) or {}
    values = _merge(values, presets.get(values.get("preset", "tiny"), {}))
    for item in overrides:
        apply_override(values, item, Job)
    return build(Job, values, str(path))


def build_configs(job: Job, out: Path) -> tuple[Any, Any]:
    """The validated SFT and GRPO configs of the job (shared keys injected into both)."""
    from trainers.config import GRPOConfig, SFTConfig

    shared = {"env_id": job.env_id, "env_kwargs": job.env_kwargs, "seed": job.seed, "max_turns": job.max_turns}
    sft = build(SFTConfig, {**shared, "model": job.preset, "output_dir": str(out / "sft"),
                            "data_path": str(out / "data" / "cold_start.jsonl"), **job.sft}, "job section sft")
    grpo = build(GRPOConfig, _merge({**shared, "model": str(out / "sft" / "final"), "output_dir": str(out / "grpo"),
                                     "eval_seed": job.eval.seed, "rollout": dataclasses.asdict(job.rollout)},
                                    job.grpo), "job section grpo")
    return sft, grpo


def record_cold_start(job: Job, out: Path) -> dict[str, Any]:
    """Record the expert and the guesser on the same seeds; merge both into ``data/cold_start.jsonl``.

    The expert's episodes are kept when correct (all of them, on the easy level); every guess is kept, right or
    wrong, so a direct answer carries no information about the image and cannot be learned from the prompt.
    """
    from trainers.record import record_episodes

    data, lines, stats = out / "data", [], {}
    for role, agent, keep_all in (("expert", job.record.expert, False), ("guesser", job.record.guesser, True)):
        if not agent:
            continue
        path = data / f"{role}.jsonl"
        s = record_episodes(job.env_id, path, agent=agent, episodes=job.record.episodes, seed=0, keep_all=keep_all,
                            env_kwargs=job.env_kwargs)
        lines += [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        stats[role] = {"agent": agent, "played": s.episodes, "kept": s.kept, "success_rate": round(s.success_rate, 3)}
    (data / "cold_start.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return stats


def evaluate(bundle: Any, job: Job, label: str, chunk: int = 64, served: Any = None) -> tuple[Any, list[Any]]:
    """Held-out evaluation in chunks (progress bar); same seeds and sampling seeds for every policy.

    ``served``: the job's vLLM-served policy (``rollout.engine=vllm``); the bundle's weights are pushed to it first.
    Returns the summary and the per-episode records (``pyvision_envs.eval``), as every evaluation does.
    """
    from tqdm import tqdm

    from pyvision_envs.eval import summarize
    from trainers.evaluate import evaluate_policy

    first, n = job.eval.seed, job.eval.episodes
    seeds = list(range(first, first + n))
    records: list[Any] = []
    if served is not None:
        served.push_weights(bundle.model)
    for k in tqdm(range(0, n, chunk), desc=f"eval {label}", unit="chunk", file=sys.stderr, dynamic_ncols=True):
        _, part = evaluate_policy(bundle, job.env_id, job.env_kwargs, seeds[k:k + chunk], settings=job.rollout,
                                  max_turns=job.max_turns, batch_size=chunk, sample_seed=job.seed * 1000 + k,
                                  first_index=k, policy=served)
        records += part
    return summarize(records, job.env_id, label, first), records


def serve(job: Job, bundle: Any, grpo_cfg: Any, out: Path) -> tuple[Any, Any]:
    """With ``rollout.engine=vllm``: one vLLM server for the job (launched, or ``rollout.server.url``), used by
    both evaluations and, by its URL, by GRPO; returns it and the GRPO config pointed at it. Else ``(None, cfg)``."""
    if job.rollout.engine != "vllm":
        return None, grpo_cfg
    from trainers.served import rollout_policy

    served = rollout_policy(bundle, job.rollout, log_dir=out)
    server = dataclasses.replace(grpo_cfg.rollout.server, url=served.server.url)
    return served, dataclasses.replace(grpo_cfg, rollout=dataclasses.replace(grpo_cfg.rollout, server=server))


class Clock:
    """Times named phases and prints each as it ends."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}

    def __call__(self, name: str, t0: float) -> None:
        self.phases[name] = round(time.perf_counter() - t0, 1)
        print(f"[{name}] {self.phases[name]:.1f} s (total {time.perf_counter() - self.start:.1f} s)", flush=True)


def run(job: Job, out: Path) -> dict[str, Any]:
    """Run the four phases; returns the report (also written to ``out/report.json``)."""
    from trainers.grpo.trainer import GRPOTrainer
    from trainers.served import close_policy
    from trainers.sft import SFTTrainer

    clock = Clock()
    sft_cfg, grpo_cfg = build_configs(job, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "job.yaml").write_text(yaml.safe_dump(dataclasses.asdict(job), sort_keys=False), encoding="utf-8")
    t0 = time.perf_counter()
    data = record_cold_start(job, out)
    clock("record", t0)

    t0 = time.perf_counter()
    sft = SFTTrainer(sft_cfg)
    sft_result = sft.train()
    clock("sft", t0)

    served, grpo_cfg = serve(job, sft.bundle, grpo_cfg, out)
    try:
        t0 = time.perf_counter()
        sft_eval, sft_records = evaluate(sft.bundle, job, "SFT", served=served)
        clock("eval SFT", t0)

        t0 = time.perf_counter()
        trainer = GRPOTrainer(grpo_cfg, bundle=sft.bundle)  # trains the SFT policy in place (already evaluated)
        grpo_result = trainer.train()
        clock("grpo", t0)

        t0 = time.perf_counter()
        rl_eval, rl_records = evaluate(trainer.bundle, job, "RL", served=served)
        clock("eval RL", t0)
    finally:
        if served is not None:
            close_policy(served)

    stats = compare(sft_records, rl_records)
    plots = write_plots(out, sft_result.losses, sft_eval, rl_eval, stats)
    report = {"job": dataclasses.asdict(job), "data": data, "sft_loss_first_last": [sft_result.losses[0], sft_result.losses[-1]],
              "sft": sft_eval.as_dict(), "rl": rl_eval.as_dict(), "comparison": stats,
              "phase_seconds": clock.phases, "total_seconds": round(time.perf_counter() - clock.start, 1),
              "plots": [str(p) for p in plots + list(grpo_result.plots)],
              "per_episode": {"sft": [r.as_dict() for r in sft_records], "rl": [r.as_dict() for r in rl_records]}}
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    facts = {"env_id": job.env_id, "temperature": job.rollout.temperature, "max_turns": job.max_turns}
    table = render_table(facts, sft_eval, rl_eval, stats, clock.phases, report["total_seconds"])
    (out / "report.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table)
    print(f"\nplots: {', '.join(report['plots'])}\nreport: {out / 'report.md'}, {out / 'report.json'}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the job."""
    p = argparse.ArgumentParser(description="SFT cold start, then GRPO with oversample-filter-rank; "
                                            "held-out accuracy of both policies on the same episodes.")
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="job YAML (default: %(default)s)")
    p.add_argument("--preset", help="policy preset to start from (tiny, smollm2-135m); overrides the config")
    p.add_argument("--out", help="output folder (default: the config's output_dir)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="e.g. sft.steps=60 grpo.lr=1e-4 grpo.batch.max_rounds=3")
    args = p.parse_args(argv)
    try:
        job = load_job(args.config, args.overrides, args.preset)
        out = Path(args.out or job.output_dir)
        build_configs(job, out)  # every config error before any work
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run(job, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
