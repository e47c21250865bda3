"""The main job: SFT cold start, then GRPO with oversample-filter-rank, on a laptop CPU in under 10 minutes.

Command (from the repository root; ``make demo`` runs it)::

    .venv/bin/python examples/main_job.py

    # the same job on the real SmolLM2-135M-Instruct weights (slow on a CPU, but it runs):
    .venv/bin/python examples/main_job.py --preset smollm2-135m
    # any key of examples/configs/main_job.yaml can be overridden:
    .venv/bin/python examples/main_job.py --out runs/quick sft.steps=60 grpo.steps=4 eval.episodes=64

Phases, each timed, each with a progress bar:

1. **record** cold-start data on ``PyVision/VisualSearch-Easy-v0`` with ``image_in_context=False`` (a text-only
   policy: the image exists only in Python). Two agents play the same seeds: the ``short-expert``
   (``trainers/short_expert.py``) writes a ~250-token program that finds the target and prints the answer (its
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
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing

from trainers.compare import compare, render_table, write_plots  # noqa: E402

DEFAULT_CONFIG = ROOT / "examples" / "configs" / "main_job.yaml"
SHARED = ("env_id", "env_kwargs", "seed", "temperature", "max_turns", "max_new_tokens", "max_context_tokens")
SECTIONS = ("record", "eval", "sft", "grpo")


def load_job(path: str | Path, overrides: list[str], preset: str | None = None) -> dict[str, Any]:
    """Read the job YAML, pick the preset, merge its ``presets:`` entry, then apply ``key=value`` overrides.

    Overrides are ``key=value`` or ``section.key=value`` (values read as YAML); they win over the preset's entry.
    """
    job = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if preset:
        job["preset"] = preset
    for section, values in (job.pop("presets", None) or {}).get(job.get("preset", "tiny"), {}).items():
        if isinstance(values, dict):
            job.setdefault(section, {}).update(values)
        else:
            job[section] = values
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise SystemExit(f"error: override {item!r} must look like key=value, e.g. sft.steps=60")
        *head, last = key.strip().split(".")
        node = job
        for part in head:
            if part not in SECTIONS or not isinstance(node.get(part, {}), dict):
                raise SystemExit(f"error: override {item!r}: {part!r} is not one of the sections {SECTIONS}")
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(raw)
    return job


def build_configs(job: dict[str, Any], out: Path) -> tuple[Any, Any]:
    """The validated SFT and GRPO configs of the job (shared keys injected into both)."""
    from trainers.config import GRPOConfig, SFTConfig

    shared = {k: job[k] for k in SHARED if k in job}
    try:
        sft = SFTConfig(**{**shared, "model": job.get("preset", "tiny"), "output_dir": str(out / "sft"),
                           "data_path": str(out / "data" / "cold_start.jsonl"), **job.get("sft", {})})
        grpo = GRPOConfig(**{**shared, "model": str(out / "sft" / "final"), "output_dir": str(out / "grpo"),
                             "eval_seed": job.get("eval", {}).get("seed", 1_000_000), **job.get("grpo", {})})
    except TypeError as exc:  # an unknown key in the sft/grpo section
        raise SystemExit(f"error: {exc}; see trainers/config.py for the fields") from None
    return sft, grpo


def record_cold_start(job: dict[str, Any], out: Path) -> dict[str, Any]:
    """Record the expert and the guesser on the same seeds; merge both into ``data/cold_start.jsonl``.

    The expert's episodes are kept when correct (all of them, on the easy level); every guess is kept, right or
    wrong, so a direct answer carries no information about the image and cannot be learned from the prompt.
    """
    from trainers.record import record_episodes

    rec, data = job.get("record", {}), out / "data"
    episodes, env_kw = int(rec.get("episodes", 256)), job.get("env_kwargs", {})
    lines, stats = [], {}
    for role, default, keep_all in (("expert", "short-expert", False), ("guesser", "guesser", True)):
        agent = rec.get(role, default)
        if not agent:
            continue
        path = data / f"{role}.jsonl"
        s = record_episodes(job["env_id"], path, agent=agent, episodes=episodes, seed=0, keep_all=keep_all,
                            env_kwargs=env_kw)
        lines += [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        stats[role] = {"agent": agent, "played": s.episodes, "kept": s.kept, "success_rate": round(s.success_rate, 3)}
    (data / "cold_start.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return stats


def evaluate(bundle: Any, job: dict[str, Any], label: str, chunk: int = 64) -> tuple[Any, list[Any]]:
    """Held-out evaluation in chunks (progress bar); same seeds and sampling seeds for every policy.

    Returns the summary and the per-episode records (``pyvision_envs.eval``), as every evaluation does.
    """
    from tqdm import tqdm

    from pyvision_envs.eval import summarize
    from trainers.evaluate import evaluate_policy
    from trainers.rollout import RolloutSettings

    ev = job.get("eval", {})
    first, n = int(ev.get("seed", 1_000_000)), int(ev.get("episodes", 256))
    seeds = list(range(first, first + n))
    settings = RolloutSettings(max_new_tokens=job["max_new_tokens"], max_context_tokens=job["max_context_tokens"],
                               temperature=job["temperature"])
    records: list[Any] = []
    for k in tqdm(range(0, n, chunk), desc=f"eval {label}", unit="chunk", file=sys.stderr, dynamic_ncols=True):
        _, part = evaluate_policy(bundle, job["env_id"], job.get("env_kwargs", {}), seeds[k:k + chunk],
                                  settings=settings, max_turns=job["max_turns"], batch_size=chunk,
                                  sample_seed=int(job.get("seed", 0)) * 1000 + k, first_index=k)
        records += part
    return summarize(records, job["env_id"], label, first), records


class Clock:
    """Times named phases and prints each as it ends."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}

    def __call__(self, name: str, t0: float) -> None:
        self.phases[name] = round(time.perf_counter() - t0, 1)
        print(f"[{name}] {self.phases[name]:.1f} s (total {time.perf_counter() - self.start:.1f} s)", flush=True)


def run(job: dict[str, Any], out: Path) -> dict[str, Any]:
    """Run the four phases; returns the report (also written to ``out/report.json``)."""
    from trainers.grpo.trainer import GRPOTrainer
    from trainers.sft import SFTTrainer

    clock = Clock()
    sft_cfg, grpo_cfg = build_configs(job, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    t0 = time.perf_counter()
    data = record_cold_start(job, out)
    clock("record", t0)

    t0 = time.perf_counter()
    sft = SFTTrainer(sft_cfg)
    sft_result = sft.train()
    clock("sft", t0)

    t0 = time.perf_counter()
    sft_eval, sft_records = evaluate(sft.bundle, job, "SFT")
    clock("eval SFT", t0)

    t0 = time.perf_counter()
    trainer = GRPOTrainer(grpo_cfg, bundle=sft.bundle)  # trains the SFT policy in place (already evaluated)
    grpo_result = trainer.train()
    clock("grpo", t0)

    t0 = time.perf_counter()
    rl_eval, rl_records = evaluate(trainer.bundle, job, "RL")
    clock("eval RL", t0)

    stats = compare(sft_records, rl_records)
    plots = write_plots(out, sft_result.losses, sft_eval, rl_eval, stats)
    report = {"job": job, "data": data, "sft_loss_first_last": [sft_result.losses[0], sft_result.losses[-1]],
              "sft": sft_eval.as_dict(), "rl": rl_eval.as_dict(), "comparison": stats,
              "phase_seconds": clock.phases, "total_seconds": round(time.perf_counter() - clock.start, 1),
              "plots": [str(p) for p in plots + list(grpo_result.plots)],
              "per_episode": {"sft": [r.as_dict() for r in sft_records], "rl": [r.as_dict() for r in rl_records]}}
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    table = render_table(job, sft_eval, rl_eval, stats, clock.phases, report["total_seconds"])
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
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. sft.steps=60 grpo.lr=1e-4")
    args = p.parse_args(argv)
    job = load_job(args.config, args.overrides, args.preset)
    out = Path(args.out or job.get("output_dir", "runs/main_job"))
    run(job, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
