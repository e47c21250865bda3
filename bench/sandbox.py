"""Sandbox latency against the original PyVision design, measured in the same run, in both confinement modes.

Baseline: plain ``exec`` in a persistent ``multiprocessing.Process`` started per episode (an unconfined warm
fork, with numpy, PIL and matplotlib already imported), talking over a pickling Pipe, figures returned as
PNG: what the released PyVision-RL does, with no isolation at all.

Modes: this process as the trainer (root: namespaces entered directly), and, when run as root, the same
measurement re-run by this script as uid 65534 (user namespaces), each against its own baseline.

Memory, with the extended runtime (the fork server imports scipy, scikit-image, scikit-learn and OpenCV once):
a worker's RSS and unique memory (USS: its private pages, what each extra episode really costs) after a
crop-and-show call and again after allocations that run full garbage collections, the fork server's RSS, and
the baseline's worker, from ``/proc/<pid>/smaps_rollup``.

    .venv/bin/python bench/sandbox.py [--episodes 50] [--calls 200]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's package, not another one's editable install
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pyvision_envs.sandbox import Sandbox  # noqa: E402

TRIVIAL = "x = 1"
CHURN = "for i in range(3):\n    junk = [[j] for j in range(300000)]\njunk = None"  # full GC collections
CROP_SHOW = "crop = image_clue_0.crop((100, 100, 356, 356))\nplt.imshow(crop)\nplt.axis('off')\nplt.show()"


def _baseline_worker(conn, image_bytes, size):
    g = {"image_clue_0": Image.frombytes("RGB", size, image_bytes), "plt": plt, "np": np}

    def show():
        figs = []
        for num in plt.get_fignums():
            buf = io.BytesIO()
            plt.figure(num).savefig(buf, format="png")
            figs.append(buf.getvalue())
        plt.close("all")
        g["_figs"].extend(figs)

    plt.show = show
    conn.send("ready")
    while True:
        code = conn.recv()
        if code is None:
            return
        out = io.StringIO()
        g["_figs"] = []
        err = None
        with contextlib.redirect_stdout(out):
            try:
                exec(code, g)
            except Exception as exc:  # noqa: BLE001
                err = repr(exc)
        conn.send((out.getvalue(), g["_figs"], err))


class Baseline:
    ctx = mp.get_context("fork")

    def __init__(self, image):
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_baseline_worker, args=(child, image.tobytes(), image.size), daemon=True)
        self.proc.start()
        assert self.conn.recv() == "ready"

    def run(self, code):
        self.conn.send(code)
        return self.conn.recv()

    def close(self):
        self.conn.send(None)
        self.proc.join()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(make, image, episodes, calls):
    """Episodes as an env runs them: start, a first call, a pause for the policy's next turn, close."""
    starts, firsts, trivial, crop = [], [], [], []
    for _ in range(episodes):
        t0 = time.perf_counter()
        sb = make(image)
        starts.append(time.perf_counter() - t0)
        sb.run(TRIVIAL)
        firsts.append(time.perf_counter() - t0)
        time.sleep(0.02)  # the policy generating its next turn
        sb.close()
    sb = make(image)
    for _ in range(calls):
        t0 = time.perf_counter()
        sb.run(TRIVIAL)
        trivial.append(time.perf_counter() - t0)
    for _ in range(max(10, calls // 10)):
        t0 = time.perf_counter()
        sb.run(CROP_SHOW)
        crop.append(time.perf_counter() - t0)
    sb.close()
    return starts, trivial, crop, firsts


def memory_mb(pid):
    """RSS and USS (private clean + dirty) of a process, in MB, from /proc/<pid>/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Rss"] / 1024, (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024


def parent_pid(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("PPid:"))


def measure_memory(image):
    """(metric, ours MB, baseline MB) rows: a worker after a crop-and-show call, and the fork server."""
    sb = make_ours(image)
    sb.run(CROP_SHOW)
    worker = sb.worker_pid
    ours_rss, ours_uss = memory_mb(worker)
    server_rss, _ = memory_mb(parent_pid(worker))
    sb.run(CHURN)
    ours_churn = memory_mb(worker)[1]
    sb.close()
    base = Baseline(image)
    base.run(CROP_SHOW)
    base_rss, base_uss = memory_mb(base.proc.pid)
    base.run(CHURN)
    base_churn = memory_mb(base.proc.pid)[1]
    base.close()
    return [("worker RSS", ours_rss, base_rss), ("worker USS (unique)", ours_uss, base_uss),
            ("worker USS after GC churn", ours_churn, base_churn), ("fork server RSS", server_rss, float("nan"))]


def make_ours(image):
    sb = Sandbox(images=[image])
    sb.start()
    return sb


def measure_both(episodes, calls):
    """The table's rows for this process: (metric, ours s, baseline s), plus the mode the sandbox ran in."""
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (768, 1024, 3), dtype=np.uint8))
    warm = make_ours(image)  # start the fork server outside the measurement (once per process)
    warm.run("x = 1")
    mode = warm.isolation_mode
    warm.close()
    ours = measure(make_ours, image, episodes, calls)
    base = measure(Baseline, image, episodes, calls)
    rows = [
        ("episode start p50", pct(ours[0], 0.5), pct(base[0], 0.5)),
        ("episode start p95", pct(ours[0], 0.95), pct(base[0], 0.95)),
        ("start to first result p50", pct(ours[3], 0.5), pct(base[3], 0.5)),
        ("trivial call p50", pct(ours[1], 0.5), pct(base[1], 0.5)),
        ("trivial call mean", statistics.mean(ours[1]), statistics.mean(base[1])),
        ("crop-and-show call p50", pct(ours[2], 0.5), pct(base[2], 0.5)),
    ]
    try:
        memory = measure_memory(image)
    except OSError as exc:  # /proc of a confined worker may be closed to an unprivileged trainer
        print(f"memory not measured: {exc}", file=sys.stderr)
        memory = []
    return mode, rows, memory


def print_memory(rows):
    if not rows:
        return
    print(f"{'memory':26s} {'ours MB':>10s} {'baseline MB':>12s}")
    for name, a, b in rows:
        print(f"{name:26s} {a:10.1f} {b:12.1f}" if b == b else f"{name:26s} {a:10.1f} {'-':>12s}")


def print_table(title, rows):
    ms = 1000.0
    print(f"\n== {title} ==")
    print(f"{'metric':26s} {'ours ms':>10s} {'baseline ms':>12s} {'ours/base':>10s}")
    for name, a, b in rows:
        print(f"{name:26s} {a * ms:10.3f} {b * ms:12.3f} {a / b:10.2f}")
    by = {name: (a, b) for name, a, b in rows}
    start, first = by["episode start p50"], by["start to first result p50"]
    print(f"episode start p50: {start[0] * ms:.2f} ms (target <= 20 ms); start to first result: "
          f"{first[0] / first[1]:.2f}x the unconfined warm-fork baseline (aim <= 1.3x)")


def run_unprivileged(episodes, calls):
    """Re-run this script as nobody; returns its (mode, rows)."""
    from pyvision_envs.sandbox.unprivileged import popen_unprivileged

    root = REPO
    cache = tempfile.mkdtemp(prefix="pyvision-bench-")
    os.chown(cache, 65534, 65534)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "MPLCONFIGDIR": cache, "HOME": cache}
    proc = popen_unprivileged([sys.executable, __file__, "--child", "--episodes", str(episodes), "--calls",
                               str(calls)], stdout=subprocess.PIPE, env=env, cwd=str(root), text=True)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"the unprivileged run failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:  # the unprivileged re-run: report to the parent as JSON
        print(json.dumps(measure_both(args.episodes, args.calls)))
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    mode, rows, memory = measure_both(args.episodes, args.calls)
    print_table(f"trainer uid {os.geteuid()}, sandbox mode {mode}", rows)
    print_memory(memory)
    if os.geteuid() == 0:
        mode, rows, memory = run_unprivileged(args.episodes, args.calls)
        print_table(f"trainer uid 65534, sandbox mode {mode}", rows)
        print_memory(memory)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
