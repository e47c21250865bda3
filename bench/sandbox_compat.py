"""Tool-program compatibility: the corpus of ``tests/sandbox/corpus/`` in our sandbox and in the original runtime.

Ours is ``pyvision_envs.sandbox.Sandbox`` with the inputs bound as the environments bind them (the image as
``image_clue_0``; the video, opened with ``pyvision_envs.media.open_video``, as ``video_clue_0``). The original
is ``bench/original_runtime.py``: plain ``exec`` after the original PyVision header, with a real
``decord.VideoReader``. Both get the same synthetic image and the same real mp4 file, written here.

A program passes when no cell raises, its output holds its ``expect`` text and it shows at least its
``figures`` figures (format and criterion: ``bench/compat_corpus.py``). Programs marked ``exception`` need
real file or network access: they are listed apart and left out of the ``ours`` vs ``original`` line.

    .venv/bin/python bench/sandbox_compat.py [--runtime both|ours|original] [--json PATH] [--timeout 10] [-k TEXT]
    .venv/bin/python bench/sandbox_compat.py --check      # parse and check the corpus only

Prints per-category counts, ``ours N/M vs original K/M`` and, for ours, each distinct failure reason.
Exits 2 (naming the file and field) when the corpus is malformed.
"""

from __future__ import annotations

import argparse
import collections
import http.server
import io
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from compat_corpus import CATEGORIES, CORPUS, CorpusError, Program, load_corpus
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
# This checkout's sandbox, not the editable install's: `python bench/x.py` puts bench/, not the root, on the path.
sys.path.insert(0, str(HERE.parent))
from pyvision_envs.media import open_video, write_video  # noqa: E402
from pyvision_envs.sandbox import Sandbox  # noqa: E402

VIDEO_FRAMES, VIDEO_FPS, VIDEO_SIZE = 64, 8, (192, 144)


# ----- the inputs -------------------------------------------------------------------------------------------
def make_image() -> Image.Image:
    """A 512x384 street-like scene: sky and ground, sun, a red car, a blue sign, text and mild noise."""
    w, h = 512, 384
    y = np.linspace(0, 1, h)[:, None, None]
    sky = np.array([110, 170, 235]) * (1 - 0.4 * y) + np.array([200, 220, 240]) * 0.4 * y
    arr = np.broadcast_to(sky, (h, w, 3)).copy()
    arr[250:] = [90, 140, 70]
    arr += np.random.default_rng(0).normal(0, 4, arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse((400, 30, 470, 100), fill=(250, 220, 60))
    d.rectangle((80, 210, 250, 280), fill=(200, 30, 35))
    d.ellipse((100, 265, 140, 305), fill=(20, 20, 20))
    d.ellipse((190, 265, 230, 305), fill=(20, 20, 20))
    d.rectangle((320, 150, 380, 210), fill=(30, 60, 200))
    d.line((350, 210, 350, 300), fill=(60, 60, 60), width=6)
    d.text((330, 172), "STOP 42", fill=(255, 255, 255))
    d.rectangle((20, 320, 300, 340), fill=(120, 120, 120))
    return img


def _frame(i: int) -> np.ndarray:
    w, h = VIDEO_SIZE
    frame = np.zeros((h, w, 3), np.uint8)
    frame[:] = (40, 90, 160) if i < VIDEO_FRAMES // 2 else (150, 120, 60)  # a scene cut half-way
    frame[h // 2:] //= 2
    x = 8 + i * (w - 40) // VIDEO_FRAMES
    frame[50:74, x:x + 24] = (230, 40, 40)  # a red square moving right
    if 40 <= i < 56:
        frame[100:130, 140:170] = (40, 200, 60)  # a green object that appears for two seconds
    return frame


def make_video(folder: Path) -> str:
    """A real 8 s mp4 (64 frames, 8 fps, 192x144): a moving red square, a cut at 4 s, a green box at 5-7 s."""
    return write_video(folder / "clip.mp4", (_frame(i) for i in range(VIDEO_FRAMES)), VIDEO_FPS, gop=8)


class Loopback:
    """A real HTTP server on 127.0.0.1 for the network programs; serves ``/image.png``."""

    def __init__(self, png: bytes) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                found = self.path.split("?")[0] == "/image.png"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(png if found else b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ----- running ----------------------------------------------------------------------------------------------
def judge(prog: Program, error: str | None, stdout: str, figures: int) -> str | None:
    """The failure reason, or None when the program passed (criterion: module docstring)."""
    if error:
        return error
    if prog.expect and prog.expect not in stdout:
        return f"output lacks the expected text {prog.expect!r}"
    if figures < prog.figures:
        return f"showed {figures} figure(s), expected at least {prog.figures}"
    return None


def run_ours(prog: Program, cells: list[str], image: Image.Image, video_path: str, timeout: float) -> dict:
    """One program in a fresh Sandbox, cell by cell; the first failing cell ends it."""
    t0 = time.perf_counter()
    video = open_video(video_path) if prog.needs == "video" else None
    images = [] if video is not None else [image]
    stdout, figures, error = "", 0, None
    try:
        with Sandbox(images=images, video=video, timeout_s=timeout) as sb:
            for i, cell in enumerate(cells):
                r = sb.run(cell)
                stdout += r.stdout
                figures += len(r.images)
                if r.error:
                    error = f"cell {i + 1}: {r.error}"
                    break
    finally:
        if video is not None:
            video.close()
    return {"error": error, "stdout": stdout, "figures": figures, "seconds": time.perf_counter() - t0}


class Original:
    """A client of ``bench/original_runtime.py``, one warm process for the whole run."""

    def __init__(self, image_path: str, video_path: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "original_runtime.py"), image_path, video_path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if json.loads(self.proc.stdout.readline() or "{}").get("ready") is not True:
            raise RuntimeError("bench/original_runtime.py did not start; run it by hand to see why")

    def run(self, prog: Program, cells: list[str], timeout: float) -> dict:
        self.proc.stdin.write(json.dumps({"cells": cells, "needs": prog.needs, "timeout_s": timeout}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# ----- reporting --------------------------------------------------------------------------------------------
def reason_key(reason: str) -> str:
    """One failure reason without its cell and line numbers, so the same refusal groups across programs."""
    reason = re.sub(r"\b\d+(\.\d+)?\b", "N", re.sub(r"^cell \d+: ", "", reason))
    if reason.startswith("SyntaxError: "):  # RestrictedPython lists its compile errors, one a line
        first = reason.splitlines()[0]
        return re.sub(r"Line N: ", "", first)
    return reason.strip().splitlines()[-1] if reason.strip() else reason


def print_table(rows: list[dict], runtimes: list[str]) -> None:
    counted = [r for r in rows if not r["exception"]]
    print(f"{'category':<10} {'programs':>8} " + " ".join(f"{rt:>9}" for rt in runtimes) + "  description")
    for cat, desc in CATEGORIES.items():
        sel = [r for r in counted if r["category"] == cat]
        cols = " ".join(f"{sum(r[rt]['passed'] for r in sel):>9}" for rt in runtimes)
        print(f"{cat:<10} {len(sel):>8} {cols}  {desc}")
    cols = " ".join(f"{sum(r[rt]['passed'] for r in counted):>9}" for rt in runtimes)
    print(f"{'total':<10} {len(counted):>8} {cols}")
    exc = [r for r in rows if r["exception"]]
    if exc:
        print(f"\nnamed exceptions (real file or network access; not counted above): {len(exc)}")
        for r in exc:
            res = " ".join(f"{rt}={'pass' if r[rt]['passed'] else 'fail'}" for rt in runtimes)
            print(f"  {r['name']:<38} {res}  ({r['exception']})")
    if "ours" in runtimes:
        reasons = collections.defaultdict(list)
        for r in counted:
            if not r["ours"]["passed"]:
                reasons[reason_key(r["ours"]["reason"])].append(r["name"])
        print(f"\ndistinct failure reasons for ours: {len(reasons)}")
        for key, names in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {len(names):>3}  {key[:150]}\n       e.g. {', '.join(names[:3])}")
    m = len(counted)
    if runtimes == ["ours", "original"]:
        n, k = (sum(r[rt]["passed"] for r in counted) for rt in runtimes)
        print(f"\nours {n}/{m} vs original {k}/{m}")


def run_corpus(programs: list[Program], runtimes: list[str], timeout: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="sandbox-compat-") as tmp:
        image = make_image()
        buf = io.BytesIO()
        image.save(buf, "PNG")
        (Path(tmp) / "image.png").write_bytes(buf.getvalue())
        video_path = make_video(Path(tmp))
        server = Loopback(buf.getvalue())
        original = Original(str(Path(tmp) / "image.png"), video_path) if "original" in runtimes else None
        if "ours" in runtimes:  # start the fork server now, as the original's process is: its start-up
            with Sandbox(timeout_s=120) as sb:  # counts against the first run()'s timeout otherwise
                sb.run("pass")
        try:
            for prog in programs:
                cells = [c.replace("$LOOPBACK_URL", server.url) for c in prog.cells]
                row = prog.meta()
                for rt in runtimes:
                    out = original.run(prog, cells, timeout) if rt == "original" else \
                        run_ours(prog, cells, image, video_path, timeout)
                    reason = judge(prog, out["error"], out["stdout"], out["figures"])
                    row[rt] = {"passed": reason is None, "reason": reason, "figures": out["figures"],
                               "seconds": round(out["seconds"], 3), "stdout": out["stdout"][-2000:]}
                rows.append(row)
        finally:
            server.close()
            if original is not None:
                original.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runtime", choices=["both", "ours", "original"], default="both")
    ap.add_argument("--json", help="write per-program outcomes (and error text) to this file")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per cell, in both runtimes")
    ap.add_argument("-k", default="", help="only programs whose name contains this text")
    ap.add_argument("--corpus", default=str(CORPUS), help="the corpus folder")
    ap.add_argument("--check", action="store_true", help="parse and check the corpus only; run nothing")
    args = ap.parse_args()
    try:
        programs = [p for p in load_corpus(Path(args.corpus)) if args.k in p.name]
    except CorpusError as exc:
        print(f"malformed corpus: {exc}", file=sys.stderr)
        sys.exit(2)
    runtimes = [] if args.check else ["ours", "original"] if args.runtime == "both" else [args.runtime]
    t0 = time.perf_counter()
    rows = run_corpus(programs, runtimes, args.timeout) if runtimes else [p.meta() for p in programs]
    if runtimes:
        print_table(rows, runtimes)
    by_cat = collections.Counter(p.category for p in programs)
    print(f"\n{len(programs)} programs ({', '.join(f'{c} {by_cat[c]}' for c in CATEGORIES)}) "
          f"in {time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"runtimes": runtimes, "programs": rows}, indent=1))


if __name__ == "__main__":
    main()
