"""A small OpenAI-compatible chat-completions server around an :class:`~agents.hf_policy.HFPolicy`.

``serve_policy`` serves any policy on ``/v1/chat/completions`` (loopback by default) with the conventions the
torch-free client :class:`agents.http_policy.HTTPPolicy` expects (the matched stop string is cut off the text and
reported as ``stop_reason``); ``python -m agents.http_server --preset tiny --port 8000`` runs it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agents import chat
from agents.hf_policy import HFPolicy
from agents.http_policy import decode_data_url


def _chat_messages(messages: Sequence[Mapping[str, Any]], vision: bool) -> list[dict[str, Any]]:
    """OpenAI messages -> chat-template messages (image parts hold PIL images; text-only models drop them)."""
    out = []
    for m in messages:
        content = m.get("content") or ""
        if isinstance(content, list):
            parts = [{"type": "text", "text": p["text"]} if p.get("type") == "text"
                     else {"type": "image", "image": decode_data_url(p["image_url"]["url"])} for p in content]
            if not vision:
                content = "".join(p.get("text", "") for p in parts)
            else:
                content = parts
        out.append({"role": m["role"], "content": content})
    return out


class _Handler(BaseHTTPRequestHandler):
    server: PolicyServer

    def log_message(self, *args: Any) -> None:  # quiet: tests and rollouts make many requests
        pass

    def _send(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.server.model_name, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}; use /v1/chat/completions"}})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if not isinstance(body.get("messages"), list) or not body["messages"]:
                raise ValueError("'messages' must be a non-empty list")
            self._send(200, self.server.complete(body))
        except (ValueError, KeyError, TypeError) as err:
            self._send(400, {"error": {"message": f"bad request: {err}"}})


class PolicyServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat-completions server around an :class:`HFPolicy` (one request at a time)."""

    daemon_threads = True

    def __init__(self, policy: HFPolicy, host: str = "127.0.0.1", port: int = 0, model_name: str = "local") -> None:
        super().__init__((host, port), _Handler)
        self.policy, self.model_name = policy, model_name
        self.requests: list[dict[str, Any]] = []  # every request body received, for inspection
        self._lock = threading.Lock()
        self._policies: dict[tuple[str, ...], HFPolicy] = {policy.stop_strings: policy}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL for clients, e.g. ``http://127.0.0.1:PORT/v1``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def complete(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one chat-completions request body."""
        stop = body.get("stop") or ()
        stop = (stop,) if isinstance(stop, str) else tuple(stop)
        with self._lock:
            self.requests.append(dict(body))
            base = self.policy
            if stop not in self._policies:
                self._policies[stop] = HFPolicy(base.bundle, temperature=base.temperature,
                                                max_new_tokens=base.max_new_tokens, stop_strings=stop)
            policy = self._policies[stop]
            messages = _chat_messages(body["messages"], vision=policy.processor is not None)
            ids = chat.prompt_ids(policy.tokenizer, messages, policy.processor)
            out = policy.generate([ids], [chat.message_images(messages)],
                                  max_new_tokens=int(body.get("max_tokens") or policy.max_new_tokens),
                                  temperature=float(body.get("temperature", policy.temperature)))[0]
        text, matched = out.text, None
        if out.finish_reason == "stop":
            matched = max((s for s in stop if s in text), key=text.rfind, default=None)
            text = text[:text.rfind(matched)] if matched else text  # OpenAI convention: stop string not included
        return {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": self.model_name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "length" if out.finish_reason == "length" else "stop",
                         "stop_reason": matched}],
            "usage": {"prompt_tokens": len(ids), "completion_tokens": len(out.token_ids),
                      "total_tokens": len(ids) + len(out.token_ids)},
        }

    def start(self) -> PolicyServer:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="policy-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the socket."""
        self.shutdown()
        self.server_close()

    def __enter__(self) -> PolicyServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def serve_policy(policy: HFPolicy, host: str = "127.0.0.1", port: int = 0, model_name: str = "local") -> PolicyServer:
    """Start a :class:`PolicyServer` in a background thread (``port=0`` picks a free port; see ``.url``)."""
    return PolicyServer(policy, host, port, model_name).start()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: serve a preset or a local model folder until interrupted."""
    from agents.presets import load_preset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", help="preset name or local model folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-new-tokens", type=int, default=512)
    args = parser.parse_args(argv)
    policy = HFPolicy(load_preset(args.preset), max_new_tokens=args.max_new_tokens)
    server = PolicyServer(policy, args.host, args.port, model_name=args.preset)
    print(f"serving {args.preset} on {server.url}/chat/completions")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
