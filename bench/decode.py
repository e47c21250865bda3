"""Held-out evaluation wall time: rows that leave the batch as they finish (``agents.decode``) vs ``model.generate``.

Both sides play the same held-out episodes of the ablation's task mix (``examples/configs/ablation.yaml``: env,
turns, token limits, temperature) in one batch, with the same sampling seed, one after the other in this process,
so a load change on the machine moves both. ``model.generate`` computes every row until the last one ends; the
row-dropping loop computes only the rows still writing. The two sample different ids after the first step (the
RNG draws over a different set of rows), so accuracy is printed for both as a sanity check, not compared exactly.
The number to read is the ratio; it grows with the spread of turn lengths in a batch.

Run (from the repository root)::

    .venv/bin/python examples/ablation.py --out runs/ablation          # makes runs/ablation/sft/final
    .venv/bin/python bench/decode.py --model runs/ablation/sft/final [--episodes 64] [--repeats 2]

Measured on 2 idle cores with that SFT start (64 episodes, 2 repeats): ``generate`` 17.4-20.6 s, row-drop
10.4-11.0 s, 0.56x the wall time. ``--model`` takes a saved policy folder or a preset name; a trained policy's
turn lengths vary, which is what the ratio depends on (a random-weight ``tiny`` runs every row to the token limit,
so both sides compute the same rows; with the untuned ``smollm2-135m`` at 32 episodes the ``generate`` side alone
ran more than seven minutes and was stopped).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.hf_policy import HFPolicy  # noqa: E402
from agents.presets import load_preset  # noqa: E402
from examples import ablation  # noqa: E402
from trainers.evaluate import evaluate_policy  # noqa: E402


def main() -> None:
    """Time the same evaluation with each sampler; print seconds, sampled tokens, accuracy and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="saved policy folder (e.g. runs/ablation/sft/final) or preset name")
    p.add_argument("--episodes", type=int, default=32)
    p.add_argument("--repeats", type=int, default=1, help="alternate the two sides this many times")
    args = p.parse_args()
    preset = args.model if args.model in ("tiny", "smollm2-135m") else None
    abl = ablation.load_ablation(ablation.DEFAULT_CONFIG, [], preset=preset)
    bundle = load_preset(args.model)
    seeds = list(range(abl.eval.seed, abl.eval.seed + args.episodes))
    rollout = dataclasses.replace(abl.rollout, kv_reuse=False)  # generate has no KV reuse: compare like with like
    totals: dict[str, list[float]] = {"generate": [], "row-drop": []}
    for _ in range(args.repeats):
        for side in totals:
            policy = HFPolicy(bundle, temperature=rollout.temperature, max_new_tokens=rollout.max_new_tokens,
                              row_drop=side == "row-drop")
            t0 = time.perf_counter()
            summary, records = evaluate_policy(bundle, abl.env_id, abl.env_kwargs, seeds, settings=rollout,
                                               max_turns=abl.max_turns, batch_size=len(seeds), policy=policy)
            totals[side].append(time.perf_counter() - t0)
            print(f"{side:>9}: {totals[side][-1]:6.1f} s  accuracy {summary.accuracy:.3f}  sampled tokens "
                  f"{sum(r.response_len for r in records)}", flush=True)
    gen, drop = (sum(v) / len(v) for v in totals.values())
    print(f"\n{args.model}, {args.episodes} episodes in one batch, up to {abl.max_turns} turns of "
          f"{rollout.max_new_tokens} tokens: row-drop / generate = {drop / gen:.2f}x the wall time "
          f"({gen / drop:.2f}x faster)")


if __name__ == "__main__":
    main()
