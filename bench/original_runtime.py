"""The original PyVision tool runtime, rebuilt as the baseline of ``bench/sandbox_compat.py`` (and nothing else).

Plain ``exec`` of each cell in one persistent globals dict after the original header (matplotlib with the Agg
backend, ``matplotlib.pyplot as plt``, PIL ``Image``, ``io``, ``base64``, ``numpy as np``). ``image_clue_0``
is a PIL RGB image, ``video_clue_0`` a real ``decord.VideoReader`` on a real file, and ``plt.show()``
captures the open figures. No isolation at all: it must never run anything but the corpus.

    python bench/original_runtime.py IMAGE_PNG VIDEO_MP4

reads one JSON request a line on stdin, ``{"cells": [...], "needs": "image", "timeout_s": 10}``, and answers
one JSON line, ``{"error": str|null, "stdout": str, "figures": int, "seconds": float}``. Each request runs
in a child forked from this warm process (the heavy packages are imported once, here), inside its own
temporary folder, and is killed when it runs past ``timeout_s`` per cell.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy: forked children must not inherit idle BLAS thread pools
os.environ["MPLBACKEND"] = "Agg"

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

HEADER = """\
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image
import io
import base64
import numpy as np
"""
# Imported once in this process so each forked child starts warm; programs still import what they use.
WARM = ("decord", "cv2", "scipy.ndimage", "scipy.signal", "scipy.stats", "skimage.filters", "skimage.measure",
        "skimage.morphology", "skimage.segmentation", "skimage.color", "skimage.feature", "sklearn.cluster",
        "matplotlib.pyplot", "PIL.ImageDraw", "PIL.ImageFont")
MAX_STDOUT = 20_000


def _execute(cells: list[str], needs: str, image_path: str, video_path: str) -> dict[str, object]:
    """Run the cells in one namespace, as the original runtime did; the first exception ends the program."""
    g: dict[str, object] = {"__name__": "__main__"}
    exec(HEADER, g)
    plt = g["plt"]
    shown: list[int] = []

    def show(*args: object, **kwargs: object) -> None:
        for num in plt.get_fignums():
            buf = io.BytesIO()
            plt.figure(num).savefig(buf, format="png")
            shown.append(len(buf.getvalue()))
        plt.close("all")

    plt.show = show
    if needs == "video":
        import decord

        g["video_clue_0"] = decord.VideoReader(video_path)
    else:
        from PIL import Image

        g["image_clue_0"] = Image.open(image_path).convert("RGB")
    out, error = io.StringIO(), None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        for i, cell in enumerate(cells):
            try:
                exec(compile(cell, f"<cell {i + 1}>", "exec"), g)
            except BaseException as exc:  # noqa: BLE001 - SystemExit too: it is the program's failure
                error = f"cell {i + 1}: {type(exc).__name__}: {exc}"
                break
    return {"error": error, "stdout": out.getvalue()[-MAX_STDOUT:], "figures": len(shown)}


def _child(req: dict, image_path: str, video_path: str, folder: str, wfd: int) -> None:
    os.chdir(folder)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # fd 0 and 1 carry the protocol: a program must neither read requests nor
    os.dup2(devnull, 1)  # corrupt replies (native code prints to fd 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the child
    try:
        reply = _execute(req["cells"], req["needs"], image_path, video_path)
    except BaseException as exc:  # noqa: BLE001 - binding the inputs failed
        reply = {"error": f"runtime: {type(exc).__name__}: {exc}", "stdout": "", "figures": 0}
    with os.fdopen(wfd, "w") as w:
        w.write(json.dumps(reply))
    os._exit(0)


def _collect(rfd: int, pid: int, deadline: float) -> bytes | None:
    """Read the child's reply until EOF; None when the deadline passes (the child is killed)."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            return None
        ready, _, _ = select.select([rfd], [], [], left)
        if ready:
            data = os.read(rfd, 1 << 16)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def run_request(req: dict, image_path: str, video_path: str) -> dict[str, object]:
    """Fork a child for one program and wait for it, at most ``timeout_s`` per cell."""
    t0 = time.monotonic()
    timeout = float(req.get("timeout_s", 10)) * max(1, len(req["cells"]))
    folder = tempfile.mkdtemp(prefix="pyvision-original-")
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _child(req, image_path, video_path, folder, wfd)
    os.close(wfd)
    try:
        data = _collect(rfd, pid, t0 + timeout)
    finally:
        os.close(rfd)
        _, status = os.waitpid(pid, 0)
        shutil.rmtree(folder, ignore_errors=True)
    if data is None:
        reply = {"error": f"TimeoutError: ran past {timeout:g} s", "stdout": "", "figures": 0}
    elif not data:
        reply = {"error": f"runtime: the worker died (wait status {status})", "stdout": "", "figures": 0}
    else:
        reply = json.loads(data)
    reply["seconds"] = time.monotonic() - t0
    return reply


def main() -> None:
    image_path, video_path = sys.argv[1], sys.argv[2]
    import importlib

    for name in WARM:
        importlib.import_module(name)
    proto = sys.stdout
    sys.stdout = sys.stderr  # anything printed here by accident stays off the protocol
    proto.write('{"ready": true}\n')
    proto.flush()
    for line in sys.stdin:
        proto.write(json.dumps(run_request(json.loads(line), image_path, video_path)) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
