"""An agent that talks to an OpenAI-compatible chat-completions endpoint, and a small server that provides one.

``HTTPPolicy`` keeps the conversation as OpenAI messages (images as base64 PNG data URLs, placed at the
``<image>`` markers of the observation text) and asks for each turn with the stop strings ``</code>`` and
``</answer>``. OpenAI-style servers cut the matched stop string off the returned text; the agent puts it back
(from vLLM's ``stop_reason`` / SGLang's ``matched_stop`` when the server reports it, else by closing the last
unclosed ``<code>`` / ``<answer>`` tag), so the environment and the later turns see the turn as generated.

``serve_policy`` serves any :class:`~agents.hf_policy.HFPolicy` on ``/v1/chat/completions`` (loopback by
default) with the same conventions; ``python -m agents.http_policy --preset tiny --port 8000`` runs it.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

from agents import chat
from agents.base import register_agent
from agents.hf_policy import STOP_STRINGS, HFPolicy
from pyvision_envs.types import Observation


def image_data_url(image: Image.Image) -> str:
    """Encode an image as a ``data:image/png;base64,...`` URL."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def decode_data_url(url: str) -> Image.Image:
    """Decode a base64 image data URL to an RGB PIL image.

    Raises:
        ValueError: ``url`` is not a base64 data URL.
    """
    head, _, data = url.partition(",")
    if not head.startswith("data:") or ";base64" not in head:
        raise ValueError(f"only base64 data URLs are accepted for images, got {url[:40]!r}...")
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def openai_content(text: str, images: Sequence[Image.Image]) -> str | list[dict[str, Any]]:
    """OpenAI message content: plain text, or text and ``image_url`` parts with the images at their markers."""
    message = chat.user_message(text, images, vision=bool(images))
    if isinstance(message["content"], str):
        return message["content"]
    return [{"type": "text", "text": p["text"]} if p["type"] == "text"
            else {"type": "image_url", "image_url": {"url": image_data_url(p["image"])}}
            for p in message["content"]]


def restore_stop(content: str, choice: Mapping[str, Any], stop: Sequence[str]) -> str:
    """Put back the stop string an OpenAI-style server cut off the end of ``content``.

    >>> restore_stop("<code> print(1) ", {"finish_reason": "stop"}, ["</code>", "</answer>"])
    '<code> print(1) </code>'
    >>> restore_stop("done", {"finish_reason": "stop", "stop_reason": None}, ["</code>"])
    'done'
    """
    if choice.get("finish_reason") != "stop" or any(content.endswith(s) for s in stop):
        return content
    for key in ("stop_reason", "matched_stop"):  # vLLM, SGLang: None there means it stopped on eos
        if key in choice:
            reported = choice[key]
            return content + reported if isinstance(reported, str) and reported in stop else content
    # No report: close the tag whose opening comes last and is still open.
    best, where = None, -1
    for s in stop:
        opening = "<" + s[2:] if s.startswith("</") else None
        if opening and content.rfind(opening) > max(where, content.rfind(s)):
            best, where = s, content.rfind(opening)
    return content + best if best else content


class HTTPPolicy:
    """Agent backed by an OpenAI-compatible ``/chat/completions`` endpoint (vLLM, SGLang, llama.cpp, OpenAI).

    Args:
        base_url: Endpoint root, e.g. ``http://127.0.0.1:8000/v1``.
        model: Model name sent with each request.
        temperature: Sampling temperature.
        max_tokens: Per-turn token limit.
        stop: Stop strings.
        system_prompt: Optional system message.
        send_images: Send observation images (False for text-only servers: images stay in Python only).
        timeout_s: Per-request timeout.
        api_key: Bearer token; default: the ``PYVISION_RL_API_KEY`` environment variable, if set.
        extra_body: Extra JSON fields merged into every request (e.g. ``{"top_p": 0.9}``).
    """

    def __init__(self, base_url: str, model: str, *, temperature: float = 1.0, max_tokens: int = 512,
                 stop: Sequence[str] = STOP_STRINGS, system_prompt: str | None = None, send_images: bool = True,
                 timeout_s: float = 120.0, api_key: str | None = None,
                 extra_body: Mapping[str, Any] | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.temperature, self.max_tokens = model, temperature, max_tokens
        self.stop, self.system_prompt, self.send_images = list(stop), system_prompt, send_images
        self.timeout_s, self.extra_body = timeout_s, dict(extra_body or {})
        self.api_key = api_key or os.environ.get("PYVISION_RL_API_KEY")
        self.messages: list[dict[str, Any]] = []
        self._fresh = False

    def _user(self, observation: Observation) -> dict[str, Any]:
        images = observation.images if self.send_images else ()
        return {"role": "user", "content": openai_content(observation.text, images)}

    def reset(self, observation: Observation, info: Mapping[str, Any]) -> None:
        """Start a conversation whose first user message is ``observation``."""
        self.messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        self.messages.append(self._user(observation))
        self._fresh = True

    def act(self, observation: Observation, info: Mapping[str, Any]) -> str:
        """Send the conversation (plus ``observation`` unless it is the reset one) and return the reply text."""
        if not self._fresh:
            self.messages.append(self._user(observation))
        self._fresh = False
        text = self.complete(self.messages)
        self.messages.append({"role": "assistant", "content": text})
        return text

    def complete(self, messages: Sequence[Mapping[str, Any]]) -> str:
        """One chat-completions request; returns the reply with its stop string restored.

        Raises:
            ConnectionError: The server cannot be reached.
            RuntimeError: The server answered with an HTTP error or a body without choices.
        """
        body = {"model": self.model, "messages": list(messages), "temperature": self.temperature,
                "max_tokens": self.max_tokens, "stop": self.stop, **self.extra_body}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:500]
            raise RuntimeError(f"{self.url} answered HTTP {err.code}: {detail}") from err
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            raise ConnectionError(f"cannot reach {self.url} ({err}); is the server running? Start one with "
                                  "`python -m agents.http_policy --preset tiny --port 8000`") from err
        if not reply.get("choices"):
            raise RuntimeError(f"{self.url} answered without choices: {str(reply)[:300]}")
        choice = reply["choices"][0]
        return restore_stop(choice["message"].get("content") or "", choice, self.stop)


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


register_agent("http", HTTPPolicy)


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
