"""The host's client of its fork server: one per host process, started on first use, thread-safe.

Every call is bounded: a fork server that is dead, stopped or wedged costs the caller a ``SandboxError``
within the given deadline, and is then replaced on the next use.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from pyvision_envs.sandbox import wire

_PKG_ROOT = str(Path(__file__).resolve().parents[2])
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "MPLCONFIGDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_FIRST_START_S = 120.0  # the first start may build matplotlib's font cache


class SandboxError(RuntimeError):
    """An infrastructure failure (the fork server or a worker could not start). Agent errors never raise."""


class ForkServer:
    """Client of one fork server process."""

    def __init__(self, pool_size: int) -> None:
        host_end, server_end = socket.socketpair()
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
        env.update(
            PYTHONPATH=os.pathsep.join([_PKG_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]),
            OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
            PYTHONDONTWRITEBYTECODE="1",
        )
        cmd = [sys.executable, "-m", "pyvision_envs.sandbox.forkserver", str(server_end.fileno()), str(pool_size)]
        self.proc = subprocess.Popen(cmd, pass_fds=[server_end.fileno()], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, cwd="/")
        server_end.close()
        self.sock = host_end
        self.lock = threading.Lock()
        self.broken = False
        try:
            ready, _ = wire.recv(self.sock, 0, deadline=time.monotonic() + _FIRST_START_S, max_header=4096)
        except (OSError, wire.WireError) as exc:
            self.kill()
            raise SandboxError(f"sandbox fork server did not start ({exc}; exit code {self.proc.poll()})") from None
        self.mode, self.reason = str(ready.get("mode")), str(ready.get("reason"))

    def spawn(self, deadline: float) -> tuple[int, socket.socket]:
        """A fresh worker's pidfd and channel, or ``SandboxError`` by ``deadline``."""
        if not self.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise SandboxError("timed out waiting for the sandbox fork server (another thread holds it)")
        try:
            self.sock.settimeout(max(1e-3, deadline - time.monotonic()))
            self.sock.sendall(b"F")
            data, fds, _, _ = socket.recv_fds(self.sock, 1, 2)
        except OSError as exc:
            self.kill()
            why = "did not answer in time (stopped or overloaded)" if isinstance(exc, TimeoutError) else str(exc)
            raise SandboxError(f"sandbox fork server {why}; it will be restarted on the next episode") from None
        finally:
            self.lock.release()
        if data != b"W" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            self.kill()
            raise SandboxError("sandbox fork server stopped answering; it will be restarted on the next episode")
        return fds[1], socket.socket(fileno=fds[0])

    def alive(self) -> bool:
        """Whether the server can still be used."""
        return not self.broken and self.proc.poll() is None

    def kill(self) -> None:
        """Stop the server (its workers die with it) and mark it for replacement."""
        self.broken = True
        self.proc.kill()
        self.proc.wait()
        self.sock.close()

    def close(self) -> None:
        """Ask the server to exit (it does on EOF) and wait for it."""
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_server: ForkServer | None = None
_server_pid: int | None = None
_server_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _server, _server_pid, _server_lock
    if _server is not None:
        _server.sock.detach()  # the parent's connection; this child starts its own server
    _server, _server_pid, _server_lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def fork_server() -> ForkServer:
    """This process's fork server, started on first use (and replaced if it died or was marked broken)."""
    global _server, _server_pid
    if not _server_lock.acquire(timeout=_FIRST_START_S + 10):
        raise SandboxError("timed out waiting for the sandbox fork server to start")
    try:
        if _server is None or _server_pid != os.getpid() or not _server.alive():
            if _server is not None and _server_pid == os.getpid():
                _server.sock.close()  # a dead one's channel; a stopped one was killed already
            _server = ForkServer(int(os.environ.get("PYVISION_SANDBOX_POOL", "4")))
            _server_pid = os.getpid()
        return _server
    finally:
        _server_lock.release()
