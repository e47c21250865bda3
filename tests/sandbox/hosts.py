"""Trainer processes for the OS-layer tests: this process (root here) or an unprivileged one (uid 65534).

The unprivileged trainer is a real process that dropped to ``nobody`` (``sandbox.unprivileged``) and serves
JSON-line requests on its stdin; its Sandboxes take the user-namespace path. Both expose the same calls.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyvision_envs.sandbox import Sandbox, SandboxError

ROOT_DIR = Path(__file__).resolve().parents[2]
NOBODY = 65534


def _result(r, sb) -> dict:
    return {"stdout": r.stdout, "error": r.error, "timed_out": r.timed_out, "state_lost": r.state_lost,
            "info": sb.worker_info, "mode": sb.isolation_mode}


def run_codes(codes: list[str], kwargs: dict) -> list[dict]:
    """Run each code in one episode; then check the episode still answers."""
    with Sandbox(**kwargs) as sb:
        out = [_result(sb.run(c), sb) for c in codes]
        out.append(_result(sb.run("print('alive')"), sb))
    return out


def two_sandboxes(attack: str) -> dict:
    """Episode A holds state; episode B, running at the same time, attacks A's worker and this trainer."""
    with Sandbox(restricted=False) as a, Sandbox(restricted=False, timeout_s=20) as b:
        a.run("x = 41")
        a_pid = a.worker_pid
        before = os.getpriority(os.PRIO_PROCESS, a_pid)
        rb = b.run(attack.replace("A_PID", str(a_pid)).replace("HOST_PID", str(os.getpid())))
        time.sleep(0.2)
        ra = a.run("x += 1\nprint(x)")
        after = os.getpriority(os.PRIO_PROCESS, a_pid)
        return {"a": _result(ra, a), "b": _result(rb, b), "priority": [before, after],
                "a_affinity": sorted(os.sched_getaffinity(a_pid))}


def refusal() -> dict:
    """Where user namespaces are refused: the default refuses to start; the opt-out warns every episode."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("pyvision_envs.sandbox").addHandler(handler)
    try:
        Sandbox().run("print(1)")
        strict = None
    except SandboxError as exc:
        strict = str(exc)
    weak = []
    for _ in range(2):
        with Sandbox(isolation="weak", restricted=False) as sb:
            weak.append(_result(sb.run("import os\nprint(os.getuid())"), sb))
    return {"strict_error": strict, "weak": weak, "warnings": [r.getMessage() for r in records]}


CALLS = {"run_codes": run_codes, "two_sandboxes": two_sandboxes, "refusal": refusal,
         "pid": os.getpid, "read": lambda path: Path(path).read_text()}


class InProcessHost:
    """This process as the trainer."""

    name = "root" if os.geteuid() == 0 else "userns"

    def call(self, op: str, *args):
        return CALLS[op](*args)

    def close(self) -> None:
        pass


class UnprivilegedHost:
    """A trainer process running as ``nobody``; ``deny_userns`` makes the kernel refuse it user namespaces."""

    name = "userns"

    def __init__(self, deny_userns: bool = False, env: dict | None = None) -> None:
        from pyvision_envs.sandbox.unprivileged import popen_unprivileged

        self.cache = tempfile.mkdtemp(prefix="pyvision-nobody-")
        os.chown(self.cache, NOBODY, NOBODY)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT_DIR), "MPLCONFIGDIR": self.cache,
               "HOME": self.cache, **(env or {})}
        self.proc = popen_unprivileged([sys.executable, "-m", "tests.sandbox.hosts"], deny_userns=deny_userns,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT_DIR), env=env,
                                       text=True)

    def call(self, op: str, *args):
        self.proc.stdin.write(json.dumps([op, *args]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"unprivileged trainer exited with {self.proc.wait()}")
        reply = json.loads(line)
        if "raised" in reply:
            raise RuntimeError(reply["raised"])
        return reply["value"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.proc.wait(timeout=30)


def _serve() -> None:
    assert os.geteuid() == NOBODY, "the unprivileged trainer must run as nobody"
    for line in sys.stdin:
        op, *args = json.loads(line)
        try:
            reply = {"value": CALLS[op](*args)}
        except Exception as exc:  # noqa: BLE001 - sent back to the test, which raises it there
            reply = {"raised": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
