"""Real loopback servers that misbehave the ways a vLLM server can: absent, closing, hanging, dying mid-step.

``MisbehavingServer(mode)`` listens on 127.0.0.1 in a thread of the test process; it speaks just enough HTTP:

- ``close``: accepts every connection and closes it without a byte (a server dying under the request);
- ``hang``: accepts, reads the request and never answers (a hung server; the client's timeout must fire);
- ``admin-only``: answers the weight-sync endpoints (``/pause``, ``/collective_rpc``, ``/reset_prefix_cache``,
  ``/resume``, ``/v1/models``) with 200 and closes every ``/v1/completions`` request unanswered (a server that
  dies once the rollouts start).

It serves at most ``limit`` connections and stops with ``close()`` (or its context), so no loop runs unbounded.
"""

from __future__ import annotations

import json
import socket
import threading

ADMIN = ("/pause", "/collective_rpc", "/reset_prefix_cache", "/resume", "/v1/models", "/health")


class MisbehavingServer:
    """See the module docstring."""

    def __init__(self, mode: str, limit: int = 200) -> None:
        self.mode, self.limit = mode, limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        served = 0
        while not self._stop.is_set() and served < self.limit:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            served += 1
            if self.mode == "close":
                conn.close()
                continue
            conn.settimeout(2)
            try:
                head = conn.recv(65536).decode(errors="replace")
            except OSError:
                conn.close()
                continue
            path = head.split(" ", 2)[1] if head.count(" ") >= 2 else "?"
            self.paths.append(path)
            if self.mode == "hang":
                self._held.append(conn)  # never answered; closed by close()
            elif self.mode == "admin-only" and path.split("?")[0] in ADMIN:
                body = json.dumps({"data": [{"id": "policy"}]} if path == "/v1/models" else {}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                conn.close()
            else:
                conn.close()

    def close(self) -> None:
        """Stop accepting, close held connections and the socket."""
        self._stop.set()
        self._thread.join(5)
        for conn in self._held:
            conn.close()
        self.sock.close()

    def __enter__(self) -> MisbehavingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
