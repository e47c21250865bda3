"""The host side: ``Sandbox``, one per episode, and the per-process fork-server client it draws workers from."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from pyvision_envs.sandbox import wire
from pyvision_envs.types import ExecutionResult

_PKG_ROOT = str(Path(__file__).resolve().parents[2])
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "MPLCONFIGDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class SandboxError(RuntimeError):
    """An infrastructure failure (the fork server or a worker could not start). Agent errors never raise."""


class _ForkServer:
    """Client of one fork server process; thread-safe."""

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
        self.sock.settimeout(120)  # first start may build matplotlib's font cache
        try:
            ready = self.sock.recv(8)
        except OSError as exc:
            raise SandboxError(f"sandbox fork server did not start: {exc}") from None
        if len(ready) != 8:
            raise SandboxError(f"sandbox fork server exited during start (code {self.proc.poll()})")
        self.netns = bool(int.from_bytes(ready, "little"))
        self.sock.settimeout(30)

    def spawn(self) -> tuple[int, socket.socket]:
        with self.lock:
            self.sock.sendall(b"F")
            data, fds, _, _ = socket.recv_fds(self.sock, 8, 1)
        if len(data) != 8 or len(fds) != 1:
            raise SandboxError("sandbox fork server stopped answering")
        return int.from_bytes(data, "little", signed=True), socket.socket(fileno=fds[0])

    def close(self) -> None:
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_server: _ForkServer | None = None
_server_pid: int | None = None
_server_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _server, _server_pid, _server_lock
    if _server is not None:
        _server.sock.detach()  # the parent's connection; this child starts its own server
    _server, _server_pid, _server_lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def fork_server() -> _ForkServer:
    """This process's fork server, started on first use (and restarted if it died)."""
    global _server, _server_pid
    with _server_lock:
        if _server is None or _server_pid != os.getpid() or _server.proc.poll() is not None:
            _server = _ForkServer(int(os.environ.get("PYVISION_SANDBOX_POOL", "4")))
            _server_pid = os.getpid()
        return _server


class _Handle:
    """A live worker: its channel and a pidfd to kill it with (no pid-reuse race)."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid, self.sock = pid, sock
        # Room for a whole init message, so sending the images does not wait for the worker to be scheduled.
        for opt in (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF):
            try:
                if opt is not None:
                    sock.setsockopt(socket.SOL_SOCKET, opt, 64 * 1024 * 1024)
                    break
            except OSError:
                continue
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except OSError:
            self.pidfd = None

    def kill(self) -> None:
        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                os.close(self.pidfd)
                self.pidfd = None
        except OSError:
            pass
        self.sock.close()


class Sandbox:
    """Runs untrusted, model-written Python for one episode, with state that persists across ``run`` calls.

    Args:
        images: Input images, bound as ``image_clue_0..n`` (copied: the host's objects are never touched).
        video: A ``VideoSource``-like object (``num_frames``, ``fps``, ``width``, ``height``,
            ``get_batch(indices)``) exposed as ``video_clue_0``; frames are decoded here, on the host.
        timeout_s: Wall-clock limit per call; past it the worker is killed and state is lost.
        memory_mb: Address-space cap of the worker.
        cpu_s: CPU-time cap of one worker (defaults to ``max(60, 10 * timeout_s)``).
        max_output_chars: Printed text kept per call; the middle is elided beyond it.
        max_images_per_call: Figures returned per call.
        max_figure_pixels: Larger figures are downscaled to this many pixels.
        max_frames_per_call: Frames one ``get_batch`` may ask for.
        seed: Seeds ``random`` and ``numpy.random`` inside the worker.
        restricted: Keep True. False runs plain Python inside the confined worker, which only the
            defence-in-depth tests use to prove the OS layers hold on their own.
    """

    def __init__(
        self,
        images: Sequence[Image.Image] = (),
        *,
        video: Any = None,
        timeout_s: float = 10.0,
        memory_mb: int = 2048,
        cpu_s: int | None = None,
        max_output_chars: int = 8192,
        max_images_per_call: int = 16,
        max_figure_pixels: int = 4096 * 4096,
        max_frames_per_call: int = 256,
        seed: int | None = None,
        restricted: bool = True,
    ) -> None:
        if timeout_s <= 0 or memory_mb < 256:
            raise ValueError("timeout_s must be > 0 and memory_mb >= 256 (numpy and matplotlib need ~200 MB)")
        for i, img in enumerate(images):
            if not isinstance(img, Image.Image):
                raise TypeError(f"images[{i}] is {type(img).__name__}, expected a PIL.Image.Image")
        self._images: list[Image.Image] = [img.copy() for img in images]
        self._video = video
        self.timeout_s = float(timeout_s)
        self._cfg = {
            "memory_mb": int(memory_mb), "cpu_s": int(cpu_s or max(60, 10 * timeout_s)),
            "max_output_chars": int(max_output_chars), "max_images_per_call": int(max_images_per_call),
            "max_figure_pixels": int(max_figure_pixels), "max_frames_per_call": int(max_frames_per_call),
            "seed": seed, "restricted": bool(restricted),
        }
        if video is not None:
            self._cfg["video"] = {"num_frames": int(video.num_frames), "fps": float(video.fps),
                                  "width": int(video.width), "height": int(video.height)}
        self._lock = threading.Lock()
        self._handle: _Handle | None = None
        self._started = False
        self._awaiting_ready = False
        self._cell = 0
        self._closed = False
        self.frames_decoded = 0
        self.worker_info: dict[str, Any] = {}

    @property
    def images(self) -> tuple[Image.Image, ...]:
        """Every image bound so far: inputs, then shown figures, in ``image_clue_k`` order."""
        return tuple(self._images)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def close(self) -> None:
        """Kill the worker (if any). Idempotent."""
        self._closed = True
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.kill()

    def start(self) -> None:
        """Start the worker now rather than on the first ``run``.

        The worker receives its images and settings at once but is not waited for: it finishes setting up
        while the caller does other work (the policy writing its first turn), and ``run`` collects its
        ready signal.
        """
        with self._lock:
            if self._handle is None:
                self._start_worker(wait=False)

    def _start_worker(self, wait: bool = True) -> None:
        if self._closed:
            raise SandboxError("this Sandbox is closed; create a new one")
        metas, blobs = wire.pack_images(self._images)
        last_error = "no worker"
        for _ in range(3):  # an idle pooled worker may have died; take another
            handle = _Handle(*fork_server().spawn())
            try:
                handle.sock.settimeout(30)
                wire.send(handle.sock, {**self._cfg, "images": metas}, blobs)
                self._handle, self._started, self._awaiting_ready = handle, True, True
                if wait:
                    self._collect_ready()
                return
            except (OSError, wire.WireError) as exc:
                self._handle = None
                handle.kill()
                last_error = str(exc)
        raise SandboxError(f"could not start a sandbox worker: {last_error}")

    def _collect_ready(self) -> None:
        handle = self._handle
        handle.sock.settimeout(30)
        header, _ = wire.recv(handle.sock, max_total=0)
        if header.get("op") != "ready":
            self._drop_worker()
            raise SandboxError(f"sandbox worker failed to start: {header.get('message', header)}")
        self._awaiting_ready, self.worker_info = False, header

    def run(self, code: str) -> ExecutionResult:
        """Execute ``code`` in the episode's worker. Agent failures come back in the result, never raised."""
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        with self._lock:
            t0 = time.perf_counter()
            state_lost = self._started and self._handle is None
            if self._handle is None:
                self._start_worker()
            elif self._awaiting_ready:
                try:
                    self._collect_ready()
                except (OSError, wire.WireError):
                    self._drop_worker()
                    self._start_worker()
            self._cell += 1
            handle = self._handle
            try:
                wire.send(handle.sock, {"op": "run", "code": code, "cell": self._cell})
                header, blobs = self._await_result(handle, t0 + self.timeout_s)
            except TimeoutError:
                self._drop_worker()
                return ExecutionResult(
                    error=f"TimeoutError: the code ran longer than {self.timeout_s:g} s and was stopped; "
                    "the Python state was reset (variables are gone, images are still bound)",
                    timed_out=True, seconds=time.perf_counter() - t0, state_lost=state_lost)
            except (OSError, wire.WireError) as exc:
                self._drop_worker()
                return ExecutionResult(
                    error=f"SandboxCrash: the Python process died ({exc}); it may have exceeded its memory or CPU "
                    "limit. The state was reset (variables are gone, images are still bound)",
                    seconds=time.perf_counter() - t0, state_lost=state_lost)
            try:
                new = wire.unpack_images(header.get("images", []), blobs, self._cfg["max_figure_pixels"])
            except wire.WireError as exc:
                self._drop_worker()
                return ExecutionResult(error=f"SandboxCrash: malformed reply ({exc})", state_lost=state_lost,
                                       seconds=time.perf_counter() - t0)
            names = tuple(f"image_clue_{len(self._images) + i}" for i in range(len(new)))
            self._images.extend(new)
            error = header.get("error")
            return ExecutionResult(
                stdout=str(header.get("stdout", "")), images=tuple(new),
                error=None if error is None else str(error), seconds=time.perf_counter() - t0,
                state_lost=state_lost, image_names=names)

    def _drop_worker(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.kill()

    def _await_result(self, handle: _Handle, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError
            handle.sock.settimeout(remaining)
            header, blobs = wire.recv(handle.sock)
            if header.get("op") == "video":
                self._serve_video(handle, header)
            elif header.get("op") == "result":
                return header, blobs
            else:
                raise wire.WireError(f"unexpected message {header.get('op')!r}")

    def _serve_video(self, handle: _Handle, header: dict[str, Any]) -> None:
        if self._video is None:
            wire.send(handle.sock, {"op": "video_error", "message": "this episode has no video"})
            return
        try:
            indices = [int(i) for i in header.get("indices", [])]
            if len(indices) > self._cfg["max_frames_per_call"]:
                raise ValueError(f"{len(indices)} frames asked, at most {self._cfg['max_frames_per_call']} per call")
            frames = self._video.get_batch(indices)
        except Exception as exc:  # noqa: BLE001 - a decode failure is reported to the agent
            wire.send(handle.sock, {"op": "video_error", "message": f"could not decode frames: {exc}"})
            return
        self.frames_decoded += len(indices)
        meta, blob = wire.pack_array(frames)
        wire.send(handle.sock, {"op": "video_result", **meta}, [blob])
