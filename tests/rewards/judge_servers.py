"""Real OpenAI-compatible HTTP servers on 127.0.0.1 for the judge tests: a scripted one and a misbehaving one."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion(content):
    return {"id": "cmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


class _Server:
    """A ThreadingHTTPServer in a daemon thread; ``handle(handler)`` answers each POST."""

    def __init__(self):
        self.requests = []
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
                try:
                    outer.handle(self)
                except OSError:
                    pass  # the client gave up and hung up
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def handle(self, handler):
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class ChatServer(_Server):
    """Serves a script of (status, body, delay_s); the last entry repeats. A bytes body is sent as is."""

    def __init__(self, script, content_type="application/json"):
        super().__init__()
        self.script, self.content_type = list(script), content_type

    def handle(self, h):
        status, body, delay = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        time.sleep(delay)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", self.content_type)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


class HostileServer(_Server):
    """A misbehaving judge server; ``sent`` counts the body bytes the client accepted.

    Modes: ``trickle`` (a 100 kB reply, one byte per ``interval_s``), ``trickle-headers`` (the headers themselves
    one byte at a time), ``endless`` (a body with no length, written until ``limit_bytes`` or the client hangs
    up), ``chunked`` (the same in chunked encoding). A trickle gives up after ``max_s`` seconds.
    """

    def __init__(self, mode, interval_s=0.05, limit_bytes=64 << 20, max_s=120.0):
        super().__init__()
        self.mode, self.interval_s, self.limit_bytes, self.max_s = mode, interval_s, limit_bytes, max_s
        self.sent = 0

    def _slow(self, h, data):
        end = time.monotonic() + self.max_s
        for i in range(len(data)):
            if self.stop.wait(self.interval_s) or time.monotonic() > end:
                return
            h.wfile.write(data[i:i + 1])
            self.sent += 1

    def handle(self, h):
        if self.mode == "trickle-headers":
            self._slow(h, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100_000 + b"\r\n\r\n")
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if self.mode == "trickle":
            h.send_header("Content-Length", "100000")
            h.end_headers()
            self._slow(h, b'{"choices": [{"message": {"content": "yes"}}]}' + b" " * 99_950)
            return
        chunked = self.mode == "chunked"
        h.send_header("Transfer-Encoding" if chunked else "Connection", "chunked" if chunked else "close")
        h.end_headers()
        block = b" " * 65536
        while self.sent < self.limit_bytes and not self.stop.is_set():
            h.wfile.write(b"10000\r\n" + block + b"\r\n" if chunked else block)
            self.sent += len(block)
