"""OpenAIJudge against a misbehaving server on loopback: how long a call is held and how much it is sent.

    PYTHONPATH=. .venv/bin/python bench/judge_hostile.py [--timeout-s 2] [--trickle-max-s 40] [--endless-mb 200]

One attempt per call (``max_attempts=1``), ``timeout_s`` as given. ``trickle`` sends a 100 kB reply one byte per
50 ms and gives up after ``--trickle-max-s``; ``endless`` streams a body with no length up to ``--endless-mb``.
Without ``PYTHONPATH=.`` the installed package (the main checkout) is measured: the before figures.
"""

from __future__ import annotations

import argparse
import inspect
import time

from pyvision_envs.rewards import judge as judge_module
from tests.rewards.judge_servers import HostileServer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout-s", type=float, default=2.0)
    ap.add_argument("--trickle-max-s", type=float, default=40.0)
    ap.add_argument("--endless-mb", type=int, default=200)
    args = ap.parse_args()
    print(f"judge: {inspect.getsourcefile(judge_module)}; timeout_s={args.timeout_s:g}, one attempt")
    print(f"{'mode':16s} {'seconds':>8s} {'sent MB':>8s}  outcome")
    for mode in ("trickle", "trickle-headers", "endless", "chunked"):
        with HostileServer(mode, limit_bytes=args.endless_mb << 20, max_s=args.trickle_max_s) as srv:
            judge = judge_module.OpenAIJudge(srv.url, "m", timeout_s=args.timeout_s, max_attempts=1, backoff_s=0.0)
            start = time.monotonic()
            try:
                outcome = f"score {judge('q', 'p', 'a')}"
            except Exception as e:  # noqa: BLE001 - the point is to show what escapes
                outcome = f"{type(e).__module__}.{type(e).__name__}: {str(e)[:90]}"
            elapsed = time.monotonic() - start
            time.sleep(0.2)
        print(f"{mode:16s} {elapsed:8.2f} {srv.sent / 2**20:8.1f}  {outcome}")


if __name__ == "__main__":
    main()
