"""An agent that talks to an OpenAI-compatible chat-completions endpoint. Torch-free: no ``[train]`` extra.

``HTTPPolicy`` keeps the conversation as OpenAI messages (images as base64 PNG data URLs, placed at the
``<image>`` markers of the observation text) and asks for each turn with the stop strings ``</code>`` and
``</answer>``. OpenAI-style servers cut the matched stop string off the returned text; the agent puts it back
(from vLLM's ``stop_reason`` / SGLang's ``matched_stop`` when the server reports it, else by closing the last
unclosed ``<code>`` / ``<answer>`` tag), so the environment and the later turns see the turn as generated.

A server for local models with the same conventions lives in :mod:`agents.http_server` (it needs torch).
"""

from __future__ import annotations

import base64
import io
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from agents import chat
from agents.base import register_agent
from pyvision_envs.protocol import STOP_STRINGS
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
                                  "`python -m agents.http_server --preset tiny --port 8000`") from err
        if not reply.get("choices"):
            raise RuntimeError(f"{self.url} answered without choices: {str(reply)[:300]}")
        choice = reply["choices"][0]
        return restore_stop(choice["message"].get("content") or "", choice, self.stop)


register_agent("http", HTTPPolicy)
