"""HTTPPolicy against a real OpenAI-compatible server on 127.0.0.1 that serves tiny presets through HFPolicy."""

import doctest
import json
import socket
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from PIL import Image

import agents.http_policy as http_policy
from agents import chat
from agents.base import make_agent
from agents.hf_policy import HFPolicy
from agents.http_policy import HTTPPolicy, decode_data_url, restore_stop
from agents.http_server import serve_policy
from agents.presets import load_preset
from pyvision_envs.types import Observation
from tests.agents.test_hf_policy import SCRIPT, SMALL, teach


def _post(url, body):
    request = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_vl_conversation_round_trips_with_images():
    bundle = load_preset("tiny-vl", seed=0)
    image = Image.fromarray(np.arange(40 * 30 * 3, dtype=np.uint8).reshape(30, 40, 3))
    first = Observation("What is in <image_clue_0><image></image_clue_0>?", (image,))
    second = Observation("<interpreter>\nText Result:\n3\n</interpreter>")
    with serve_policy(HFPolicy(bundle, max_new_tokens=8)) as server:
        agent = HTTPPolicy(server.url, "local", temperature=0, max_tokens=8)
        agent.reset(first, {})
        texts = [agent.act(first, {}), agent.act(second, {})]
        sent = server.requests
    assert len(sent) == 2 and sent[0]["stop"] == ["</code>", "</answer>"]
    assert sent[0]["temperature"] == 0 and sent[0]["max_tokens"] == 8
    parts = sent[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "text"]
    assert np.array_equal(np.asarray(decode_data_url(parts[1]["image_url"]["url"])), np.asarray(image))
    assert [m["role"] for m in sent[1]["messages"]] == ["user", "assistant", "user"]
    assert sent[1]["messages"][1]["content"] == texts[0]
    # The served reply is what the policy itself writes for that conversation (greedy, so deterministic).
    ids = chat.prompt_ids(bundle.tokenizer, [chat.user_message(first.text, [image], vision=True)], bundle.processor)
    local = HFPolicy(bundle, temperature=0, max_new_tokens=8).generate([ids], [[image]])[0]
    assert texts[0] == local.text


def test_stop_string_is_cut_by_the_server_and_restored_by_the_client():
    bundle = load_preset("tiny", seed=0, config_overrides=SMALL)
    tok = bundle.tokenizer
    teach(bundle, [("alpha", chat.encode(tok, SCRIPT["alpha"][0] + " more words"))])
    with serve_policy(HFPolicy(bundle, max_new_tokens=20)) as server:
        raw = _post(server.url, {"model": "local", "messages": [{"role": "user", "content": "alpha"}],
                                 "temperature": 0, "stop": ["</code>", "</answer>"]})
        agent = make_agent("http", base_url=server.url, model="local", temperature=0, max_tokens=20)
        agent.reset(Observation("alpha"), {})
        text = agent.act(Observation("alpha"), {})
    choice = raw["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["stop_reason"] == "</code>"
    assert choice["message"]["content"] == SCRIPT["alpha"][0][:-len("</code>")]
    assert text == SCRIPT["alpha"][0]


def test_restore_stop_cases():
    assert doctest.testmod(http_policy).failed == 0
    stop = ["</code>", "</answer>"]
    assert restore_stop("<answer> 7 ", {"finish_reason": "stop"}, stop) == "<answer> 7 </answer>"
    assert restore_stop("<code> x </code> <answer> 7 ", {"finish_reason": "stop"}, stop).endswith("</answer>")
    assert restore_stop("<code> x", {"finish_reason": "stop", "stop_reason": None}, stop) == "<code> x"
    assert restore_stop("<code> x", {"finish_reason": "length"}, stop) == "<code> x"
    assert restore_stop("<code> x", {"finish_reason": "stop", "matched_stop": "</code>"}, stop) == "<code> x</code>"


def test_text_only_server_and_client_options():
    with serve_policy(HFPolicy(load_preset("tiny"), max_new_tokens=4)) as server:
        image = Image.new("RGB", (8, 8))
        agent = HTTPPolicy(server.url, "local", max_tokens=4, send_images=False, system_prompt="Be brief.")
        agent.reset(Observation("see <image>", (image,)), {})
        agent.act(Observation("see <image>", (image,)), {})
        assert server.requests[0]["messages"] == [{"role": "system", "content": "Be brief."},
                                                  {"role": "user", "content": "see <image>"}]
        # A VL-style request with image parts still works on a text-only model: the text is kept.
        reply = _post(server.url, {"messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi "}, {"type": "image_url", "image_url": {"url": http_policy.image_data_url(image)}}]}],
            "max_tokens": 3})
        assert reply["usage"]["completion_tokens"] <= 3
        with pytest.raises(RuntimeError, match="HTTP 400"):
            HTTPPolicy(server.url, "local").complete([])


def test_unreachable_server_says_how_to_start_one():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    agent = HTTPPolicy(f"http://127.0.0.1:{port}/v1", "m", timeout_s=5)
    agent.reset(Observation("hi"), {})
    with pytest.raises(ConnectionError, match="is the server running"):
        agent.act(Observation("hi"), {})


# Imports of these fail in the child, as on a machine without the [train] extra.
_BLOCK_TORCH = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers", "accelerate"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Block())
"""


def test_client_needs_no_torch():
    """The HTTP agent imports and plays a turn against a real server with torch and transformers blocked."""
    with serve_policy(HFPolicy(load_preset("tiny"), max_new_tokens=4)) as server:
        child = _BLOCK_TORCH + f"""
from agents.base import make_agent
from pyvision_envs.types import Observation
agent = make_agent("http", base_url={server.url!r}, model="local", temperature=0, max_tokens=4)
agent.reset(Observation("hello"), {{}})
print(repr(agent.act(Observation("hello"), {{}})))
assert not any(m.split(".")[0] in ("torch", "transformers") for m in sys.modules), "torch was imported"
"""
        done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 1 and done.stdout.strip().startswith("'")
    blocked = subprocess.run([sys.executable, "-c", _BLOCK_TORCH + "import agents.http_server"],
                             capture_output=True, text=True, timeout=120)
    assert blocked.returncode != 0 and "blocked" in blocked.stderr  # the guard really blocks: the server needs torch
