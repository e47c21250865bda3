"""The worker side: runs inside a forked, confined process and executes agent code cell by cell.

Globals persist across cells for the life of the worker (one episode). Everything the agent does wrong
(syntax errors, exceptions, ``SystemExit``, forbidden names) becomes an ``error`` string in the reply.
"""

from __future__ import annotations

import collections
import json
import os
import random
import socket
import sys
import time
import traceback
import weakref
from typing import Any

import numpy as np
from PIL import Image
from RestrictedPython import compile_restricted_exec

from pyvision_envs.sandbox import isolation, namespaces, seccomp, wire
from pyvision_envs.sandbox.guards import Guards
from pyvision_envs.sandbox.policy import SandboxPolicy
from pyvision_envs.sandbox.text import ERROR_CHARS, elide


class OutputBuffer:
    """Collects printed text, keeping only the head and tail once the cap is passed (memory stays bounded)."""

    def __init__(self, cap: int) -> None:
        self.cap = max(64, int(cap))
        self._head: list[str] = []
        self._head_len = 0
        self._tail: collections.deque[str] = collections.deque()
        self._tail_len = 0
        self.total = 0

    def write(self, text: str) -> None:
        """Append text."""
        self.total += len(text)
        room = self.cap // 2 - self._head_len
        if room > 0:
            self._head.append(text[:room])
            self._head_len += min(room, len(text))
            text = text[room:]
        if not text:
            return
        text = text[-(self.cap // 2):]
        self._tail.append(text)
        self._tail_len += len(text)
        while self._tail_len - len(self._tail[0]) >= self.cap // 2:
            self._tail_len -= len(self._tail.popleft())

    def getvalue(self) -> str:
        """The collected text, with the middle elided when it was over the cap."""
        return elide("".join(self._head) + "".join(self._tail), self.cap, self.total)


class _Printer:
    """RestrictedPython's print collector, writing straight into the cell's output buffer."""

    def __init__(self, out: OutputBuffer) -> None:
        self.out = out

    def _call_print(self, *objects: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush: bool = False) -> None:
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        if not isinstance(sep, str) or not isinstance(end, str):
            raise TypeError("sep and end must be strings")
        self.out.write(sep.join(str(o) for o in objects) + end)

    def __call__(self) -> str:
        return self.out.getvalue()


class _Frames(np.ndarray):
    """Frames returned by ``video_clue_0``; ``.asnumpy()`` keeps decord-style code working."""

    def asnumpy(self) -> np.ndarray:
        return np.asarray(self)


class VideoClue:
    """``video_clue_0``: decord's VideoReader interface; frames are decoded by the host on request."""

    def __init__(self, rpc: Any, meta: dict[str, Any]) -> None:
        self._rpc = rpc
        self._n = int(meta["num_frames"])
        self._fps = float(meta["fps"])
        self._shape = (self._n, int(meta["height"]), int(meta["width"]), 3)

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<VideoReader: {self._n} frames, {self._shape[2]}x{self._shape[1]}, {self._fps:g} fps>"

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(frames, height, width, 3)."""
        return self._shape

    def get_avg_fps(self) -> float:
        """Average frames per second."""
        return self._fps

    def _index(self, i: Any) -> int:
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"frame index {i} out of range for a video of {self._n} frames")
        return i

    def get_batch(self, indices: Any) -> np.ndarray:
        """Frames at ``indices`` as an N x H x W x 3 uint8 array."""
        idx = [self._index(i) for i in np.asarray(indices).reshape(-1).tolist()]
        return self._rpc("get_batch", idx).view(_Frames)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            return self.get_batch(range(*key.indices(self._n)))
        return self.get_batch([key])[0]

    def get_frame_timestamp(self, indices: Any) -> np.ndarray:
        """(start, end) seconds of each frame: shape (2,) for one index, (N, 2) for several."""
        idx = np.asarray(indices)
        starts = np.array([self._index(i) for i in idx.reshape(-1).tolist()], dtype=np.float64) / self._fps
        out = np.stack([starts, starts + 1.0 / self._fps], axis=-1).astype(np.float32)
        return out[0] if idx.ndim == 0 else out


_CURRENT: list[Worker] = []
# Address space the runtime maps before any worker forks (numpy, matplotlib, the tools extra: about 0.5 GB,
# mostly shared and never touched); set by the fork server. An episode's memory_mb comes on top of it.
RUNTIME_MB = 0


def show_dispatch(x: Any = None) -> None:
    """``plt.show`` / ``show`` in the facades, built before any worker exists: forward to this process's worker."""
    _CURRENT[0].show(x)


def saved_dispatch(fig: Any) -> None:
    """``plt.savefig(path)`` in the facades: capture the figure as if shown (``Worker.saved``)."""
    _CURRENT[0].saved(fig)


class _Stream:
    """``sys.stdout`` / ``sys.stderr`` in the sandbox: writes go to the cell's output, as print's do."""

    def write(self, text: Any) -> int:
        """Append text to the cell's output."""
        text = str(text)
        _CURRENT[0].out.write(text)
        return len(text)

    def flush(self) -> None:
        """Nothing to flush."""

    def isatty(self) -> bool:
        """Never a terminal."""
        return False


def format_exc(limit: Any = None, chain: bool = True) -> str:
    """``traceback.format_exc``: the exception being handled, in the sandbox's own error format."""
    exc = sys.exc_info()[1]
    return "NoneType: None\n" if exc is None else _CURRENT[0]._format_error(exc) + "\n"


def print_exc(limit: Any = None, file: Any = None, chain: bool = True) -> None:
    """``traceback.print_exc``: into the cell's output."""
    _CURRENT[0].out.write(format_exc())


def pprint_(obj: Any, *args: Any, **kwargs: Any) -> None:
    """``pprint.pprint``: into the cell's output (the real one writes to the process's stdout)."""
    import pprint

    kwargs.pop("stream", None)
    _CURRENT[0].out.write(pprint.pformat(obj, *args, **kwargs) + "\n")


def runtime_modules() -> dict[str, dict[str, Any]]:
    """Facade contents that need this process's worker: traceback, pprint, a sys without the interpreter."""
    import platform
    import pprint

    return {
        "pprint": {"pprint": pprint_, "pp": pprint_, "pformat": pprint.pformat},
        "traceback": {"format_exc": format_exc, "print_exc": print_exc},
        "sys": {"version": sys.version, "version_info": tuple(sys.version_info), "maxsize": sys.maxsize,
                "float_info": sys.float_info, "byteorder": sys.byteorder, "platform": sys.platform,
                "getrecursionlimit": sys.getrecursionlimit, "stdout": _Stream(), "stderr": _Stream(),
                "exit": sys.exit, "argv": [""], "implementation_name": platform.python_implementation()},
    }


def video_reader_stub(*args: Any, **kwargs: Any) -> None:
    """``decord.VideoReader`` in the sandbox: opening files is refused."""
    raise PermissionError("opening video files is not allowed in the sandbox; use video_clue_0")


class Worker:
    """One episode's interpreter state inside the confined process."""

    def __init__(self, sock: socket.socket, facades: dict[str, Any]) -> None:
        self.sock = sock
        self.facades = facades
        self.sources: dict[str, str] = {}
        self.out = OutputBuffer(8192)
        self.images: list[Image.Image] = []
        self.new_images: list[tuple[str, Image.Image]] = []
        self.dropped = 0
        self.over_budget = 0
        self.image_bytes = 0
        self.tag = 0
        self._saved: weakref.WeakSet[Any] = weakref.WeakSet()

    # --- set-up ------------------------------------------------------------------------------------
    def init(self, cfg: dict[str, Any], images: list[Image.Image]) -> None:
        """Apply the episode's limits, bind the images and build the globals."""
        isolation.apply_limits(cfg["memory_mb"] + RUNTIME_MB, cfg["cpu_s"])
        self.seccomp = seccomp.install()
        self.cfg = cfg
        seed = cfg.get("seed")
        random.seed(seed)
        np.random.seed(None if seed is None else seed % (2**32))
        _CURRENT[:] = [self]
        guards = Guards(self.facades, {"show": self.show, "saved": self.saved})
        self.guards = guards
        if cfg.get("restricted", True):
            self.globals = guards.globals(lambda *a: _Printer(self.out))
            plt = self.facades["matplotlib.pyplot"]
            self.globals.update(np=self.facades["numpy"], plt=plt, Image=self.facades["PIL.Image"], show=self.show)
        else:  # defence-in-depth tests only: plain Python inside the confined process
            self.globals = {"__name__": "__main__", "show": self.show,
                            "print": lambda *a, **k: _Printer(self.out)._call_print(*a, **k)}
        for img in images:
            self._bind(img)
        if cfg.get("video"):
            self.globals["video_clue_0"] = VideoClue(self._video_rpc, cfg["video"])

    def prewarm(self) -> None:
        """While idle in the pool, take the paths every first cell takes.

        Their copy-on-write faults and lazy set-up then happen here, not in the episode's first call.
        """
        guards = Guards(self.facades, {"show": self.show, "saved": self.saved})
        scratch = guards.globals(lambda *a: _Printer(self.out))
        exec(compile_restricted_exec("x = [i * 2 for i in range(3)]\nprint(x, len(x))", "<warm>",
                                    policy=SandboxPolicy).code, scratch)
        wire.parse_header(json.dumps({"op": "result", "stdout": self.out.getvalue(), "error": None}).encode())
        self.out = OutputBuffer(8192)

    def _bind(self, img: Image.Image) -> str:
        name = f"image_clue_{len(self.images)}"
        self.images.append(img)
        self.image_bytes += wire.image_bytes(img)
        self.globals[name] = img
        return name

    # --- figures -----------------------------------------------------------------------------------
    def show(self, x: Any = None) -> None:
        """Show a figure, a PIL image or an array; with no argument, every open figure (``plt.show()``)."""
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        if x is None:
            for num in plt.get_fignums():
                if not self._saved_as_is(plt.figure(num)):
                    self._add(_render(plt.figure(num)))
            plt.close("all")
        elif isinstance(x, Figure):
            if not self._saved_as_is(x):
                self._add(_render(x))
            plt.close(x)
        elif isinstance(x, Image.Image):
            self._add(x.convert("RGB"))
        elif isinstance(x, np.ndarray):
            self._add(_array_to_image(x))
        else:
            raise TypeError(f"show() takes a matplotlib figure, a PIL image or a numpy array, not {type(x).__name__}")

    def saved(self, fig: Any) -> None:
        """``savefig`` to a path: capture the figure as if shown; it stays open (the program may go on drawing)."""
        self._add(_render(fig))
        self._saved.add(fig)

    def _saved_as_is(self, fig: Any) -> bool:
        # A figure saved and not changed since (drawing marks it stale) was already captured: savefig, then show.
        return fig in self._saved and not fig.stale

    def _add(self, img: Image.Image) -> None:
        if len(self.new_images) >= self.cfg["max_images_per_call"]:
            self.dropped += 1
            return
        max_px = self.cfg["max_figure_pixels"]
        if img.width * img.height > max_px:
            scale = (max_px / (img.width * img.height)) ** 0.5
            img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
        if self.image_bytes + wire.image_bytes(img) > self.cfg["max_image_bytes"]:
            self.over_budget += 1  # the host would refuse it: the episode's images are capped in bytes
            return
        self.new_images.append((self._bind(img), img))

    # --- video -------------------------------------------------------------------------------------
    def _video_rpc(self, method: str, indices: list[int]) -> np.ndarray:
        if len(indices) > self.cfg["max_frames_per_call"]:
            raise ValueError(f"at most {self.cfg['max_frames_per_call']} frames per call; ask for fewer")
        wire.send(self.sock, {"op": "video", "method": method, "indices": indices, "tag": self.tag})
        header, blobs = wire.recv(self.sock)
        if header.get("op") == "video_error":
            raise RuntimeError(header.get("message", "video error"))
        return wire.unpack_array(header, blobs[0])

    # --- execution ---------------------------------------------------------------------------------
    def run(self, code: str, cell: int, tag: int) -> dict[str, Any]:
        """Execute one cell; returns the reply header (images are sent as blobs)."""
        self.out = OutputBuffer(self.cfg["max_output_chars"])
        self.new_images, self.dropped, self.over_budget, self.tag = [], 0, 0, tag
        filename = f"<cell {cell}>"
        self.sources[filename] = code
        error = None
        if self.cfg.get("restricted", True):
            compiled = compile_restricted_exec(code, filename, policy=SandboxPolicy)
            if compiled.errors:
                error = "SyntaxError: " + "\n".join(compiled.errors)
            code_obj = compiled.code
        else:
            try:
                code_obj = compile(code, filename, "exec")
            except SyntaxError as exc:
                code_obj, error = None, f"SyntaxError: {exc}"
        if error is None:
            try:
                exec(code_obj, self.globals)
            except BaseException as exc:  # noqa: BLE001 - SystemExit & co. are agent errors too
                error = self._format_error(exc)
        stdout = self.out.getvalue()
        if self.dropped:
            stdout += f"\n[{self.dropped} more figure(s) were not returned: at most {self.cfg['max_images_per_call']} per call]"
        if self.over_budget:
            stdout += (f"\n[{self.over_budget} figure(s) were not returned or bound: this episode's images reached "
                       f"their cap of {self.cfg['max_image_bytes'] // 2**20} MB]")
        return {"op": "result", "stdout": stdout, "error": error, "tag": tag}

    def _format_error(self, exc: BaseException) -> str:
        frames = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
        lines = []
        for fr in frames:
            if fr.filename in self.sources:
                src = self.sources[fr.filename].splitlines()
                text = src[fr.lineno - 1].strip() if fr.lineno and fr.lineno <= len(src) else ""
                lines.append(f"  {fr.filename[1:-1].capitalize()}, line {fr.lineno}, in {fr.name}\n    {text}")
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - an agent exception whose __str__ fails
            message = "<unprintable message>"
        head = "Traceback (most recent call last):\n" + "\n".join(lines) + "\n" if lines else ""
        text = f"{head}{type(exc).__name__}: {message}" if message else f"{head}{type(exc).__name__}"
        return elide(text, ERROR_CHARS)


def _render(fig: Any) -> Image.Image:
    fig.canvas.draw()
    rgba = Image.fromarray(np.asarray(fig.canvas.buffer_rgba()).copy(), "RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _array_to_image(x: np.ndarray) -> Image.Image:
    arr = np.asarray(x)
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        if arr.size and np.nanmax(arr) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return Image.fromarray(arr, "L").convert("RGB")
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return Image.fromarray(arr[..., :3].copy(), "RGB")
    raise ValueError(f"cannot show an array of shape {arr.shape}; expected HxW or HxWx3")


def _recv_init(sock: socket.socket) -> tuple[dict[str, Any], list[Image.Image]]:
    cfg, _ = wire.recv(sock, 0)
    images = []
    for _ in range(int(cfg["n_images"])):  # one message per image, so no message is ever large
        meta, blobs = wire.recv(sock)
        images += wire.unpack_images([meta], blobs, max_pixels=1 << 28)
    return cfg, images


def serve(sock: socket.socket, facades: dict[str, Any]) -> None:
    """The worker's main loop: init, then one reply per cell until the host closes the channel."""
    worker = Worker(sock, facades)
    worker.prewarm()
    try:
        cfg, images = _recv_init(sock)
        t0 = time.perf_counter()
        try:
            worker.init(cfg, images)
        except Exception as exc:  # noqa: BLE001 - report set-up failures to the host
            wire.send(sock, {"op": "init_error", "message": f"{type(exc).__name__}: {exc}"})
            return
        wire.send(sock, {"op": "ready", "seccomp": worker.seccomp, "uid": os.getuid(), "pid": os.getpid(),
                         "capabilities": namespaces.capabilities(), "init_seconds": time.perf_counter() - t0})
        while True:
            header, _ = wire.recv(sock)
            if header.get("op") != "run":
                return
            t0 = time.perf_counter()
            reply = worker.run(str(header["code"]), int(header["cell"]), int(header["tag"]))
            reply["worker_seconds"] = time.perf_counter() - t0
            metas, img_blobs = wire.pack_images([img for _, img in worker.new_images])
            reply["images"] = metas
            wire.send(sock, reply, img_blobs)
    except (wire.WireError, OSError):
        return
