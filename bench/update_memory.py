"""Peak host memory of one GRPO-sized forward/backward of SmolLM2-135M against the micro-batch size.

Why: the ``smollm2-135m`` main job ran out of 24 GB with 16 trajectories per forward/backward; its preset now
splits each update into micro-batches of 2 (``grad_accum``). Each size runs in a fresh subprocess (peak RSS is
per process) on random token ids of the main job's shape (~1,300 tokens, the last 900 scored), so the printed
figures are what one micro-batch costs; the ratio is against the 1-row baseline measured in the same run.

    .venv/bin/python bench/update_memory.py            # rows 1 and 2 (about a minute)
    .venv/bin/python bench/update_memory.py 1 2 4      # other sizes; mind the machine's memory
"""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import resource, sys, time, torch
from agents.presets import load_preset
torch.manual_seed(0)
model = load_preset("smollm2-135m").model.train()
ids = torch.randint(0, 49000, (int(sys.argv[1]), 1300))
t = time.perf_counter()
logits = model(input_ids=ids, logits_to_keep=900).logits.float()
torch.logsumexp(logits, -1).mean().backward()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, time.perf_counter() - t)
"""


def measure(rows: int) -> tuple[float, float]:
    """(peak RSS in GB, seconds) of one forward/backward over ``rows`` sequences, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(rows)], capture_output=True, text=True, check=True)
    gb, secs = out.stdout.split()[-2:]
    return float(gb), float(secs)


def main() -> None:
    """Print peak memory and time per micro-batch size, with ratios to the first size."""
    sizes = [int(a) for a in sys.argv[1:]] or [1, 2]
    base = None
    for rows in sizes:
        gb, secs = measure(rows)
        base = base or (rows, gb)
        print(f"rows {rows}: peak RSS {gb:.1f} GB, forward+backward {secs:.1f} s, "
              f"memory ratio to rows {base[0]}: {gb / base[1]:.2f}")


if __name__ == "__main__":
    main()
