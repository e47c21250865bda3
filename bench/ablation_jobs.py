"""The ablation grid's wall time with its runs in parallel processes (``jobs``) against one at a time.

Both sides train the same runs (the tiny grid's settings, ``seeds`` x tool reward on/off, ofr) from one SFT start,
which is recorded and trained once, before the clock starts: the baseline trains them in this order in one
process (``jobs=1``, torch's default thread count), the other side in ``jobs`` spawned processes with
``cores // jobs`` torch threads each. Both run in this process's run, back to back, so a change of load on the
machine moves both; the ratio is what ``jobs`` buys. The held-out numbers of the two sides are printed too: they
agree only up to float reduction order (the thread count changes it).

Run (about 4 minutes on 2 idle cores: a 95 s SFT start, then 57 s serially and 45 s with ``jobs=2``)::

    .venv/bin/python bench/ablation_jobs.py [--jobs 2] [--seeds 1] [--out runs/bench_ablation_jobs]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples import ablation  # noqa: E402


def main() -> None:
    """Train the same runs serially and with ``--jobs`` processes; print both wall times and their ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--out", default="runs/bench_ablation_jobs")
    args = p.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    grid = [f"seeds={args.seeds}", "modes=ofr"]
    serial_abl = ablation.load_ablation(ablation.DEFAULT_CONFIG, [*grid, "jobs=1"])
    parallel_abl = ablation.load_ablation(ablation.DEFAULT_CONFIG, [*grid, f"jobs={args.jobs}"])
    sft_cfg, runs = ablation.build_configs(serial_abl, out)
    ablation.sft_start(serial_abl, sft_cfg, out, resume=False)  # the shared start, outside both clocks
    times, ends = {}, {}
    for side, abl in (("serial", serial_abl), (f"jobs={args.jobs}", parallel_abl)):
        for cfg in runs.values():
            shutil.rmtree(cfg.output_dir, ignore_errors=True)
        t0 = time.perf_counter()
        counts = ablation.train_runs(abl, runs)
        times[side] = time.perf_counter() - t0
        ends[side] = {f"{name} seed {seed}": round(c["end"].accuracy, 3) for (name, seed), c in counts.items()}
    serial, parallel = times.values()
    print(f"\n{len(runs)} GRPO runs (tiny grid settings, {args.seeds} seed(s) x tool reward on/off, ofr)")
    for side, seconds in times.items():
        print(f"  {side:>8}: {seconds:6.1f} s   end accuracy {ends[side]}")
    print(f"  ratio jobs={args.jobs} / serial: {parallel / serial:.2f}x the wall time ({serial / parallel:.2f}x faster)")


if __name__ == "__main__":
    main()
