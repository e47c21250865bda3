"""The fork server: one warm process per host process that forks confined sandbox workers on demand.

Started by the host as ``python -m pyvision_envs.sandbox.forkserver FD POOL`` with a scrubbed environment.
It imports numpy, PIL and matplotlib once, warms their lazy paths (fonts, mathtext), builds the module
facades, and keeps ``POOL`` workers already forked and confined, so an episode's sandbox starts in the time
it takes to pass a file descriptor. Each request (one byte) is answered with a worker's pid and the host
end of its channel (``SCM_RIGHTS``). Workers are auto-reaped (``SIGCHLD`` ignored); the server exits when
the host closes its end.
"""

from __future__ import annotations

import collections
import os
import select
import signal
import socket
import struct
import sys

_REPLY = struct.Struct("<q")


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


def _spawn(facades: dict, jail: str | None, devnull: int, stale: list[socket.socket]) -> tuple[int, socket.socket]:
    from pyvision_envs.sandbox import isolation, worker

    host_end, child_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            for s in [host_end, *stale]:
                s.detach()  # their fds are closed below; never let a finalizer close a reused number
            isolation.confine_process(child_end.fileno(), jail, devnull)
            worker.serve(child_end, facades)
        except BaseException:  # noqa: BLE001 - a worker must never return into the server's loop
            code = 1
        finally:
            os._exit(code)
    child_end.close()
    return pid, host_end


def main(argv: list[str]) -> None:
    """Serve fork requests on the inherited socket ``argv[1]`` with a pool of ``argv[2]`` idle workers."""
    sock = socket.socket(fileno=int(argv[1]))
    pool_size = int(argv[2])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # auto-reap workers
    from pyvision_envs.sandbox import facades as facades_mod
    from pyvision_envs.sandbox import isolation, worker

    _warm_up()
    facades = facades_mod.build_all(worker.show_dispatch, worker.video_reader_stub)
    jail, netns = None, False
    if os.geteuid() == 0:
        import matplotlib

        jail = isolation.build_jail([matplotlib.get_data_path()])
        netns = isolation.enter_empty_netns()
    devnull = os.open(os.devnull, os.O_RDWR)
    pool: collections.deque[tuple[int, socket.socket]] = collections.deque()
    try:
        sock.sendall(_REPLY.pack(1 if netns else 0))  # ready
        while True:
            # Refill the pool only while no request is waiting: a burst is served from the pool first.
            while len(pool) < pool_size and not select.select([sock], [], [], 0)[0]:
                pool.append(_spawn(facades, jail, devnull, [sock, *(s for _, s in pool)]))
            if not sock.recv(1):
                break
            pid, host_end = pool.popleft() if pool else _spawn(facades, jail, devnull, [sock])
            socket.send_fds(sock, [_REPLY.pack(pid)], [host_end.fileno()])
            host_end.close()
    except OSError:
        pass


if __name__ == "__main__":
    main(sys.argv)
