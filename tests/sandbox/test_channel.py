"""The channel distrusts the worker: fault tests where plain Python in the worker writes raw bytes to it.

Each attack runs as agent code with the restricted compiler bypassed (``restricted=False``): the worker is the
attacker and owns its end of the socket. The host must answer with an ``ExecutionResult`` (a timeout or a
``SandboxCrash``), within its deadline, never raise, and recover on the next call.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from pyvision_envs.sandbox import Sandbox, SandboxError, forkclient

# Finds the worker's end of the channel and writes framed messages or raw bytes on it.
PRELUDE = """
import json, os, stat, struct, time
def _sock_fd():
    for fd in range(3, 32):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass
FD = _sock_fd()
def raw(b):
    os.write(FD, b)
def frame(header, blobs=(), head=None):
    head = json.dumps(header).encode() if head is None else head
    out = struct.pack('<II', len(head), len(blobs)) + head
    for b in blobs:
        out += struct.pack('<Q', len(b)) + b
    return out
"""


def attack(code, **kw):
    """Run ``code`` (after the prelude) in a raw worker; return its result and the next call's result."""
    kw.setdefault("timeout_s", 3)
    with Sandbox(restricted=False, **kw) as sb:
        t0 = time.monotonic()
        r = sb.run(PRELUDE + code)
        elapsed = time.monotonic() - t0
        after = sb.run("print('alive')")
    assert after.stdout == "alive\n"
    return r, elapsed, after


def test_deeply_nested_json_header_is_a_crash_result():
    r, _, after = attack("raw(frame(None, head=b'[' * 200000 + b']' * 200000))\ntime.sleep(60)")
    assert "SandboxCrash" in r.error and after.state_lost


def test_header_that_is_not_an_object_or_not_json():
    for head in (b'"just a string"', b"\xff\xfe not utf-8", b'{"op": "result", "stdout": 1e999999}', b"9" * 5000):
        r, _, _ = attack(f"raw(frame(None, head={head!r}))\ntime.sleep(60)")
        assert "SandboxCrash" in r.error or r.timed_out, (head, r)


@pytest.mark.parametrize("record", [
    {"mode": ["RGB"], "size": [1, 1]},  # unhashable mode
    {"mode": "CMYK", "size": [1, 1]},
    {"mode": "RGB", "size": [1e300, 1]},
    {"mode": "RGB", "size": "ab"},
    {"mode": "RGB", "size": [True, 1]},
    ["RGB", [1, 1]],
])
def test_bad_image_records_are_crash_results(record):
    code = ("import sys\nw = sys.modules['pyvision_envs.sandbox.worker']._CURRENT[0]\n"
            f"raw(frame({{'op': 'result', 'stdout': '', 'error': None, 'tag': w.tag, 'images': [{record!r}]}}, [b'abc']))"
            "\ntime.sleep(60)")
    r, _, _ = attack(code)
    assert "SandboxCrash" in r.error, r


def test_slow_trickle_cannot_stretch_the_timeout():
    code = "msg = frame({'op': 'result', 'stdout': 'x' * 100})\nfor b in msg:\n    raw(bytes([b]))\n    time.sleep(0.2)"
    r, elapsed, _ = attack(code, timeout_s=1)
    assert r.timed_out and elapsed < 5, elapsed  # the trickle alone would last 2 s per 10 bytes


def test_oversized_header_is_refused_before_it_is_read():
    r, elapsed, _ = attack("raw(struct.pack('<II', 16 * 1024 * 1024, 0))\ntime.sleep(60)", timeout_s=10)
    assert "SandboxCrash" in r.error and elapsed < 5


def test_host_reapplies_the_stdout_cap():
    code = ("import sys\nw = sys.modules['pyvision_envs.sandbox.worker']._CURRENT[0]\n"
            "raw(frame({'op': 'result', 'stdout': 'y' * 50000, 'error': 'e' * 50000, 'tag': w.tag, 'images': []}))")
    r, _, after = attack(code, max_output_chars=1000, timeout_s=5)  # the worker's own reply follows: stale
    assert not after.state_lost
    assert not r.timed_out and "elided" in r.stdout and len(r.stdout) < 1200
    assert len(r.error) < 4200


def test_sixteen_megabytes_of_stdout_is_refused():
    code = ("import sys\nw = sys.modules['pyvision_envs.sandbox.worker']._CURRENT[0]\n"
            "raw(frame({'op': 'result', 'stdout': 'z' * (16 * 2 ** 20), 'tag': w.tag, 'images': []}))\ntime.sleep(60)")
    r, _, _ = attack(code)
    assert "SandboxCrash" in r.error


def test_three_64_megabyte_images_are_refused():
    code = ("import sys\nw = sys.modules['pyvision_envs.sandbox.worker']._CURRENT[0]\nblob = bytes(4096 * 4096 * 4)\n"
            "meta = {'mode': 'RGBA', 'size': [4096, 4096]}\n"
            "raw(frame({'op': 'result', 'stdout': '', 'tag': w.tag, 'images': [meta] * 3}, [blob] * 3))\ntime.sleep(60)")
    r, _, _ = attack(code, memory_mb=1024, timeout_s=10)
    assert "SandboxCrash" in r.error


def test_early_reply_is_never_the_next_cells_answer():
    with Sandbox(restricted=False, timeout_s=3) as sb:
        forged = "".join(
            f"raw(frame({{'op': 'result', 'stdout': 'FORGED', 'error': None, 'tag': {t}, 'images': []}}))\n"
            for t in range(0, 64))
        sb.run(PRELUDE + forged + "raw(frame({'op': 'result', 'stdout': 'FORGED', 'images': []}))")
        r = sb.run("print('real')")
        assert r.stdout == "real\n", r


def test_message_from_the_worker_with_an_unknown_op_is_a_crash_result():
    code = ("import sys\nw = sys.modules['pyvision_envs.sandbox.worker']._CURRENT[0]\n"
            "raw(frame({'op': 'surprise', 'tag': w.tag}))\ntime.sleep(60)")
    r, _, _ = attack(code)
    assert "SandboxCrash" in r.error


def test_lone_surrogates_in_code_stdout_and_errors_are_replaced():
    with Sandbox(timeout_s=5) as sb:
        r = sb.run("s = '\\ud800'\nprint('a' + s + 'b')\nraise ValueError('bad \\udfff')")
        assert r.stdout == "a\ufffdb\n" and "bad \ufffd" in r.error
        r = sb.run("x = '\ud83d'  # a lone surrogate in the source itself\nprint(len(x))")
        assert r.stdout == "1\n", r
        for text in (r.stdout, r.error or ""):
            text.encode("utf-8")


def test_figures_past_the_episode_image_budget_are_not_bound_and_the_output_says_so():
    image = Image.new("RGB", (10, 10))
    with Sandbox(images=[image], max_image_bytes=300 + 3 * 16 * 16 * 3) as sb:
        r = sb.run("for i in range(5):\n    show(np.zeros((16, 16), dtype=np.uint8))")
        assert len(r.images) == 3 and "image" in r.stdout and "cap" in r.stdout
        assert r.image_names == ("image_clue_1", "image_clue_2", "image_clue_3")
        r = sb.run("print(image_clue_3.size)\nprint(image_clue_4)")
        assert r.stdout == "(16, 16)\n" and "NameError" in r.error


def test_restart_after_a_timeout_rebinds_large_figures():
    with Sandbox(timeout_s=3, max_image_bytes=512 * 2**20) as sb:
        r = sb.run("for i in range(3):\n    show(np.full((3000, 3000, 3), i, dtype=np.uint8))")
        assert len(r.images) == 3
        assert sb.run("while True:\n    pass").timed_out
        r = sb.run("print([image_clue_k.getpixel((0, 0))[0] for image_clue_k in (image_clue_0, image_clue_1, image_clue_2)])")
        assert r.state_lost and r.stdout == "[0, 1, 2]\n", r


def _server_process():
    server = forkclient.fork_server()
    with open(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children") as f:
        return server, int(f.read().split()[0])  # the real server: PID 1 of its namespace


def test_stopped_fork_server_is_a_sandbox_error_within_the_start_timeout():
    Sandbox().close()
    server, pid = _server_process()
    os.kill(pid, signal.SIGSTOP)  # even pooled workers are handed out by the server, so none comes
    try:
        with Sandbox(timeout_s=1, start_timeout_s=1) as sb:
            t0 = time.monotonic()
            with pytest.raises(SandboxError, match="fork server"):
                sb.run("print(1)")
            assert time.monotonic() - t0 < 5  # start_timeout_s=1, not the 30 s of old
    finally:
        if server.proc.poll() is None:
            os.kill(pid, signal.SIGCONT)
    with Sandbox() as sb:
        assert sb.run("print(2)").stdout == "2\n"  # a fresh server replaced it


def test_dead_fork_server_is_replaced():
    Sandbox().close()
    server, _ = _server_process()
    server.proc.kill()
    server.proc.wait()
    with Sandbox() as sb:
        assert sb.run("print(3)").stdout == "3\n"


def test_timeout_clock_starts_when_the_worker_is_ready():
    import threading

    Sandbox().close()
    _, pid = _server_process()
    os.kill(pid, signal.SIGSTOP)
    threading.Timer(2.0, os.kill, (pid, signal.SIGCONT)).start()
    with Sandbox(timeout_s=1, start_timeout_s=10) as sb:
        r = sb.run("print('ok')")  # waits 2 s for a worker, then has its whole second
    assert r.ok and r.stdout == "ok\n" and r.seconds > 1.5, r


def test_starting_the_fork_server_does_not_count_against_the_start_timeout():
    # A fresh process: its fork server imports scipy, scikit-image, scikit-learn and cv2 before the first worker.
    code = ("import time; from pyvision_envs.sandbox import Sandbox\n"
            "t0 = time.monotonic()\n"
            "with Sandbox(start_timeout_s=0.5) as sb: r = sb.run('print(5)')\n"
            "print(repr(r.stdout), time.monotonic() - t0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    stdout, seconds = out.stdout.split()
    if float(seconds) < 0.5:
        pytest.skip("the fork server started within the start timeout; nothing to show")
    assert stdout == repr("5\n")
