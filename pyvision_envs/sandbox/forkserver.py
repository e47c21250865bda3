"""The fork server: one warm process per host process that forks confined sandbox workers on demand.

Started by the host as ``python -m pyvision_envs.sandbox.forkserver FD POOL`` with a scrubbed environment.
It enters its namespaces (``namespaces.enter``: root, or an unprivileged user namespace), becomes PID 1 of
its PID namespace, imports numpy, PIL, matplotlib and the tools extra (scipy, skimage, sklearn, cv2) once,
warms their lazy paths (fonts, mathtext), builds the module facades (which import every allowed module) and the jail, and keeps ``POOL`` workers already forked and confined, so an episode's
sandbox starts in the time it takes to pass two file descriptors. Each request (one byte) is answered with
the host end of a worker's channel and a pidfd of the worker (``SCM_RIGHTS``; a pidfd names the process
across PID namespaces, without a reuse race). Workers are auto-reaped (``SIGCHLD`` ignored); the server exits
when the host closes its end, and its workers die with it.
"""

from __future__ import annotations

import collections
import gc
import os
import select
import signal
import socket
import sys

from pyvision_envs.sandbox import namespaces, wire

_REFILL_PAUSE_S = 0.015


def _warm_up() -> None:
    """Touch every lazy path agent code commonly takes, so nothing needs the file system after confinement."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(np.zeros((4, 4, 3), dtype=np.uint8))
    ax.plot([0, 1], [0, 1], label="line")
    ax.bar([0], [1])
    ax.set_title("title $x^2$", fontweight="bold")
    ax.text(0, 0, "italic", style="italic")
    ax.legend()
    fig.colorbar(ax.imshow(np.zeros((2, 2))))
    fig.canvas.draw()
    plt.close("all")
    a = np.arange(12.0).reshape(3, 4)
    str(a), repr(a), f"{a[0]}", a.mean(), a.std(), a.var(), np.median(a), np.percentile(a, 50), a.round(1)
    np.histogram(a), np.polyfit([0, 1, 2], [0, 1, 2], 1), np.unique(a), np.linalg.norm(a), np.fft.fft(a[0])
    np.random.default_rng(0).integers(0, 3, 2), np.einsum("ij->i", a), np.clip(a, 0, 1).astype(np.uint8)
    img = Image.new("RGB", (8, 8))
    ImageDraw.Draw(img).text((0, 0), "a", font=ImageFont.load_default())
    img.resize((4, 4)).rotate(10).convert("L")
    _warm_tools()


def _warm_tools() -> None:
    """The tools extra (when installed): imported here once, their lazy paths taken, single-threaded."""
    import contextlib
    import datetime
    import io
    import warnings

    import numpy as np
    from PIL import Image

    datetime.datetime.strptime("2024", "%Y")  # imports _strptime
    Image.init()  # every format plugin, so Image.open(BytesIO) never imports one in a worker
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    Image.open(io.BytesIO(buf.getvalue())).load()
    img = np.zeros((8, 8, 3), np.uint8)
    with contextlib.suppress(ImportError):
        import cv2

        cv2.setNumThreads(1)  # workers may not start threads
        cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (3, 3), 0)
    with contextlib.suppress(ImportError):
        import joblib

        joblib.parallel_config(backend="sequential")  # sklearn's n_jobs=-1 runs in the worker itself
    with contextlib.suppress(ImportError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from scipy import ndimage, stats
        from sklearn.cluster import KMeans

        ndimage.label(img[..., 0] > 0)
        stats.describe([1.0, 2.0, 3.0])
        KMeans(2, n_init=1).fit(np.arange(8.0).reshape(4, 2))


def _address_space_mb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmSize:"))


class _Spawner:
    """Forks confined workers, each in a PID namespace of its own (when the server has namespaces)."""

    def __init__(self, facades: dict, jail: str | None, pid_ns_fd: int | None) -> None:
        self.facades, self.jail, self.pid_ns_fd = facades, jail, pid_ns_fd
        self.devnull = os.open(os.devnull, os.O_RDWR)

    def spawn(self, stale: list[socket.socket]) -> tuple[int, socket.socket]:
        from pyvision_envs.sandbox import isolation, worker

        host_end, child_end = socket.socketpair()
        if self.pid_ns_fd is not None:
            namespaces.next_child_in_new_pid_ns(self.pid_ns_fd)
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                for s in [host_end, *stale]:
                    s.detach()  # their fds are closed below; never let a finalizer close a reused number
                isolation.confine_process(child_end.fileno(), self.jail, self.devnull)
                worker.serve(child_end, self.facades)
            except BaseException:  # noqa: BLE001 - a worker must never return into the server's loop
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        pidfd = os.pidfd_open(pid)
        return pidfd, host_end


def _prepare(mode: str, reason: str) -> tuple[_Spawner, str, str]:
    from pyvision_envs.sandbox import agentclasses, formatting, isolation, safecalls, seccomp, worker
    from pyvision_envs.sandbox import facades as facades_mod

    _warm_up()
    formatting.harden_matplotlib()
    safecalls.harden_fonts()
    agentclasses.harden_enum()
    seccomp.worker_filter()  # built once here; every worker inherits it
    facades = facades_mod.build_all(worker.show_dispatch, worker.video_reader_stub, worker.saved_dispatch,
                                    worker.runtime_modules())
    safecalls.harden_sklearn()  # after build_all: every allowed sklearn module is imported by then
    safecalls.harden_skimage()
    worker.RUNTIME_MB = _address_space_mb()
    # The runtime's objects out of the collector's sight: a worker's first full collection would otherwise
    # touch, and so copy, every page that holds one (bench/sandbox.py: ~45 MB more unique memory per worker).
    gc.collect()
    gc.freeze()
    if mode == "none":
        return _Spawner(facades, None, None), mode, reason
    import matplotlib

    try:
        jail = isolation.build_jail([matplotlib.get_data_path()])
    except OSError as exc:  # say so rather than run workers unconfined
        return _Spawner(facades, None, None), "none", f"could not build the worker jail ({exc})"
    return _Spawner(facades, jail, namespaces.own_pid_ns()), mode, reason


def main(argv: list[str]) -> None:
    """Serve fork requests on the inherited socket ``argv[1]`` with a pool of ``argv[2]`` idle workers."""
    sock = socket.socket(fileno=int(argv[1]))
    pool_size = int(argv[2])
    mode, reason = namespaces.enter()
    if mode != "none":
        namespaces.become_pid1()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # auto-reap workers
    spawner, mode, reason = _prepare(mode, reason)
    pool: collections.deque[tuple[int, socket.socket]] = collections.deque()
    try:
        wire.send(sock, {"op": "ready", "mode": mode, "reason": reason})
        pause = 0.0
        while True:
            # Refill the pool only while no request is waiting (a burst is served from the pool first), and
            # not at once after a request: the fork would take a core from the episode that just started.
            while len(pool) < pool_size and not select.select([sock], [], [], pause)[0]:
                pool.append(spawner.spawn([sock, *(s for _, s in pool)]))
                pause = 0.0
            if not sock.recv(1):
                break
            pause = _REFILL_PAUSE_S
            pidfd, host_end = pool.popleft() if pool else spawner.spawn([sock])
            socket.send_fds(sock, [b"W"], [host_end.fileno(), pidfd])
            host_end.close()
            os.close(pidfd)
    except OSError:
        pass


if __name__ == "__main__":
    main(sys.argv)
