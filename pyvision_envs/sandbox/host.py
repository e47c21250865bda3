"""The host side: ``Sandbox``, one per episode. It trusts nothing its worker sends (see ``replies``)."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from PIL import Image

from pyvision_envs.sandbox import replies, wire
from pyvision_envs.sandbox.forkclient import SandboxError, fork_server
from pyvision_envs.sandbox.text import scrub
from pyvision_envs.types import ExecutionResult

_log = logging.getLogger("pyvision_envs.sandbox")
ISOLATION_ENV = "PYVISION_SANDBOX_ISOLATION"
_STATE_RESET = "The state was reset (variables are gone, images are still bound)"


class _Handle:
    """A live worker: its channel and a pidfd to kill it with (no pid-reuse race, any PID namespace)."""

    def __init__(self, pidfd: int, sock: socket.socket) -> None:
        self.pidfd: int | None = pidfd
        self.sock = sock
        # Room for a whole init message, so sending the images does not wait for the worker to be scheduled.
        for opt in (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF):
            try:
                if opt is not None:
                    sock.setsockopt(socket.SOL_SOCKET, opt, 64 * 1024 * 1024)
                    break
            except OSError:
                continue

    @property
    def pid(self) -> int | None:
        """The worker's pid in this process's PID namespace (from the pidfd's fdinfo)."""
        if self.pidfd is None:
            return None
        with open(f"/proc/self/fdinfo/{self.pidfd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
        return None

    def kill(self) -> None:
        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except OSError:
            pass
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        self.sock.close()


class Sandbox:
    """Runs untrusted, model-written Python for one episode, with state that persists across ``run`` calls.

    Args:
        images: Input images, bound as ``image_clue_0..n`` (copied: the host's objects are never touched).
        video: A ``VideoSource``-like object (``num_frames``, ``fps``, ``width``, ``height``,
            ``get_batch(indices)``) exposed as ``video_clue_0``; frames are decoded here, on the host.
        timeout_s: Wall-clock limit per call, counted from when the worker is ready; past it the worker is
            killed and state is lost.
        start_timeout_s: Limit on getting a ready worker (defaults to ``max(10, timeout_s)``); past it ``run``
            raises ``SandboxError``.
        memory_mb: Address-space cap of the agent's code, on top of what the runtime itself maps before the
            worker forks (numpy, matplotlib and the tools extra: shared pages, mostly never touched).
        cpu_s: CPU-time cap of one worker (defaults to ``max(60, 10 * timeout_s)``).
        max_output_chars: Printed text kept per call; the middle is elided beyond it.
        max_images_per_call: Figures returned per call.
        max_figure_pixels: Larger figures are downscaled to this many pixels.
        max_image_bytes: Raw bytes of all images bound in the episode (inputs included); figures past it are
            not bound, and the call's output says so.
        max_frames_per_call: Frames one ``get_batch`` may ask for.
        seed: Seeds ``random`` and ``numpy.random`` inside the worker.
        restricted: Keep True. False runs plain Python inside the confined worker, which only the
            defence-in-depth tests use to prove the OS layers hold on their own.
        isolation: ``"strict"`` (default; or ``$PYVISION_SANDBOX_ISOLATION``) refuses to start where workers
            cannot get their namespaces (no root and no user namespaces). ``"weak"`` runs them anyway, with
            only seccomp and rlimits, and logs a warning every episode.
    """

    def __init__(
        self,
        images: Sequence[Image.Image] = (),
        *,
        video: Any = None,
        timeout_s: float = 10.0,
        start_timeout_s: float | None = None,
        memory_mb: int = 2048,
        cpu_s: int | None = None,
        max_output_chars: int = 8192,
        max_images_per_call: int = 16,
        max_figure_pixels: int = 4096 * 4096,
        max_image_bytes: int = 128 * 1024 * 1024,
        max_frames_per_call: int = 256,
        seed: int | None = None,
        restricted: bool = True,
        isolation: str | None = None,
    ) -> None:
        if timeout_s <= 0 or memory_mb < 256:
            raise ValueError("timeout_s must be > 0 and memory_mb >= 256 (numpy and matplotlib need ~200 MB)")
        isolation = isolation or os.environ.get(ISOLATION_ENV) or "strict"
        if isolation not in ("strict", "weak"):
            raise ValueError(f'isolation must be "strict" or "weak", not {isolation!r} (check ${ISOLATION_ENV})')
        for i, img in enumerate(images):
            if not isinstance(img, Image.Image):
                raise TypeError(f"images[{i}] is {type(img).__name__}, expected a PIL.Image.Image")
        # Bound images as packed (record, pixels): copied once here, re-sent as they are after a restart.
        self._packed: list[tuple[dict[str, Any], bytes | bytearray]] = [wire.pack_image(img) for img in images]
        self._images: list[Image.Image | None] = [None] * len(self._packed)  # inputs rebuilt on demand
        self._image_bytes = sum(len(blob) for _, blob in self._packed)
        self._video = video
        self.timeout_s = float(timeout_s)
        self.start_timeout_s = float(start_timeout_s or max(10.0, timeout_s))
        self.isolation = isolation
        self._cfg = {
            "memory_mb": int(memory_mb), "cpu_s": int(cpu_s or max(60, 10 * timeout_s)),
            "max_output_chars": int(max_output_chars), "max_images_per_call": int(max_images_per_call),
            "max_figure_pixels": int(max_figure_pixels), "max_frames_per_call": int(max_frames_per_call),
            "max_image_bytes": int(max_image_bytes), "seed": seed, "restricted": bool(restricted),
        }
        if video is not None:
            self._cfg["video"] = {"num_frames": int(video.num_frames), "fps": float(video.fps),
                                  "width": int(video.width), "height": int(video.height)}
        self._lock = threading.Lock()
        self._handle: _Handle | None = None
        self._started = False
        self._awaiting_ready = False
        self._warned = False
        self._cell, self._tag = 0, 0
        self._closed = False
        self.frames_decoded = 0
        self.worker_info: dict[str, Any] = {}
        self.isolation_mode: str | None = None

    @property
    def images(self) -> tuple[Image.Image, ...]:
        """Every image bound so far: inputs, then shown figures, in ``image_clue_k`` order."""
        for i, img in enumerate(self._images):
            if img is None:
                meta, blob = self._packed[i]
                self._images[i] = Image.frombytes(meta["mode"], tuple(meta["size"]), bytes(blob))
        return tuple(self._images)

    @property
    def worker_pid(self) -> int | None:
        """The live worker's pid as this process sees it (None when there is none)."""
        handle = self._handle
        return None if handle is None else handle.pid

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
        self._drop_worker()

    def start(self) -> None:
        """Start the worker now rather than on the first ``run``.

        The worker receives its images and settings at once but is not waited for: it finishes setting up
        while the caller does other work (the policy writing its first turn), and ``run`` collects its
        ready signal.
        """
        with self._lock:
            if self._handle is None:
                self._start_worker(time.monotonic() + self.start_timeout_s, wait=False)

    def _check_isolation(self, mode: str, reason: str) -> None:
        self.isolation_mode = mode
        if mode != "none":
            return
        if self.isolation != "weak":
            raise SandboxError(
                f"the sandbox cannot confine its workers here: {reason}. Run as root or allow unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces), or opt out "
                f'with Sandbox(isolation="weak") or {ISOLATION_ENV}=weak; weak workers can read every file '
                "this process can")
        if not self._warned:
            self._warned = True
            _log.warning("sandbox isolation is WEAK for this episode (%s): no chroot, user or namespace "
                         "confinement; agent code can read every file this process can", reason)

    def _start_worker(self, deadline: float, wait: bool = True) -> None:
        if self._closed:
            raise SandboxError("this Sandbox is closed; create a new one")
        last_error = "no worker"
        for _ in range(3):  # an idle pooled worker may have died; take another
            t0 = time.monotonic()
            server = fork_server()
            # Starting the fork server (it imports the tool packages) is not the worker's start: under load it
            # alone can take longer than start_timeout_s, and the first episode of every process would fail.
            deadline += time.monotonic() - t0
            self._check_isolation(server.mode, server.reason)
            handle = _Handle(*server.spawn(deadline))
            try:
                self._send_init(handle, deadline)
                self._handle, self._started, self._awaiting_ready = handle, True, True
                if wait:
                    self._collect_ready(deadline)
                return
            except (OSError, wire.WireError) as exc:
                self._drop_worker()
                handle.kill()
                last_error = f"{type(exc).__name__}: {exc}"
        raise SandboxError(f"could not start a sandbox worker: {last_error}")

    def _send_init(self, handle: _Handle, deadline: float) -> None:
        # One bounded message per image: a restart never fails because earlier figures were large.
        wire.send(handle.sock, {"op": "init", **self._cfg, "n_images": len(self._packed)}, deadline=deadline)
        for meta, blob in self._packed:
            wire.send(handle.sock, {"op": "image", **meta}, [blob], deadline=deadline)

    def _collect_ready(self, deadline: float) -> None:
        header, _ = wire.recv(self._handle.sock, 0, deadline=deadline, max_header=4096, max_blobs=0)
        if header.get("op") != "ready":
            self._drop_worker()
            raise SandboxError(f"sandbox worker failed to start: {str(header.get('message', header))[:500]}")
        self._awaiting_ready, self.worker_info = False, header

    def _ready_worker(self, deadline: float) -> None:
        if self._handle is None:
            self._start_worker(deadline)
        elif self._awaiting_ready:
            try:
                self._collect_ready(deadline)
            except (OSError, wire.WireError):
                self._drop_worker()
                self._start_worker(deadline)

    def run(self, code: str) -> ExecutionResult:
        """Execute ``code`` in the episode's worker. Agent failures come back in the result, never raised."""
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        with self._lock:
            t0 = time.perf_counter()
            state_lost = self._started and self._handle is None
            self._ready_worker(time.monotonic() + self.start_timeout_s)
            deadline = time.monotonic() + self.timeout_s  # the clock starts once the worker is ready
            # An unguessable tag per cell: a reply the worker sent before this cell began can never be its answer.
            self._cell, self._tag = self._cell + 1, secrets.randbits(62)
            handle = self._handle
            try:
                msg = {"op": "run", "code": scrub(code), "cell": self._cell, "tag": self._tag}
                wire.send(handle.sock, msg, deadline=deadline)
                reply = self._await_result(handle, deadline)
            except TimeoutError:
                self._drop_worker()
                return ExecutionResult(
                    error=f"TimeoutError: the code ran longer than {self.timeout_s:g} s and was stopped; "
                    "the Python state was reset (variables are gone, images are still bound)",
                    timed_out=True, seconds=time.perf_counter() - t0, state_lost=state_lost)
            except (OSError, wire.WireError) as exc:
                self._drop_worker()
                return ExecutionResult(
                    error=f"SandboxCrash: the Python process died or broke the protocol ({exc}); it may have "
                    f"exceeded its memory or CPU limit. {_STATE_RESET}",
                    seconds=time.perf_counter() - t0, state_lost=state_lost)
            names = tuple(f"image_clue_{len(self._images) + i}" for i in range(len(reply.images)))
            self._images.extend(reply.images)
            self._packed.extend(reply.packed)
            self._image_bytes += sum(len(blob) for _, blob in reply.packed)
            return ExecutionResult(stdout=reply.stdout, images=reply.images, error=reply.error,
                                   seconds=time.perf_counter() - t0, state_lost=state_lost, image_names=names)

    def _drop_worker(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.kill()

    def _limits(self) -> replies.Limits:
        return replies.Limits(
            max_output_chars=self._cfg["max_output_chars"], max_images=self._cfg["max_images_per_call"],
            max_pixels=self._cfg["max_figure_pixels"],
            image_bytes_left=max(0, self._cfg["max_image_bytes"] - self._image_bytes))

    def _await_result(self, handle: _Handle, deadline: float) -> replies.Reply:
        limits = self._limits()
        while True:
            header, blobs = wire.recv(handle.sock, limits.image_bytes_left, deadline=deadline,
                                      max_header=limits.max_header, max_blobs=limits.max_images)
            if header.get("tag") != self._tag:
                continue  # stale or early: an answer to another cell is never this cell's answer
            if header.get("op") == "video":
                self._serve_video(handle, header, deadline)
            elif header.get("op") == "result":
                return replies.parse_result(header, blobs, limits)
            else:
                raise wire.WireError(f"unexpected message {str(header.get('op'))[:50]!r}")

    def _serve_video(self, handle: _Handle, header: dict[str, Any], deadline: float) -> None:
        if self._video is None:
            wire.send(handle.sock, {"op": "video_error", "message": "this episode has no video"}, deadline=deadline)
            return
        try:
            indices = replies.frame_indices(header.get("indices"), self._cfg["video"]["num_frames"],
                                            self._cfg["max_frames_per_call"])
            frames = self._video.get_batch(indices)
        except Exception as exc:  # noqa: BLE001 - a decode failure is reported to the agent
            wire.send(handle.sock, {"op": "video_error", "message": f"could not decode frames: {exc}"},
                      deadline=deadline)
            return
        self.frames_decoded += len(indices)
        meta, blob = wire.pack_array(frames)
        wire.send(handle.sock, {"op": "video_result", **meta}, [blob], deadline=deadline)
