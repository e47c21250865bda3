"""Batched generation with a ``transformers`` model, for rollouts (many conversations) and eval (one, as an Agent).

``HFPolicy.generate`` takes token-id contexts (built with :mod:`agents.chat`, never re-tokenized), left-pads them,
and samples them as one batch (KV cache; text-only policies through :mod:`agents.decode`, where each row leaves the
batch when it finishes; VL policies through ``model.generate``) at ``temperature`` with no top-k/top-p truncation, so
the sampling distribution is exactly ``softmax(logits / temperature)``, the one the GRPO loss evaluates. Each row
stops on its own as soon as its text contains a stop string (``</code>``, ``</answer>``; transformers'
``StopStringCriteria``, vectorized over rows), on the end-of-turn token, or at ``max_new_tokens``. For each row
it returns the sampled ids (up to and including the token that completed the stop), their log-probabilities under
the sampling distribution (log-softmax of the final processed scores at each step, i.e. ``logits / temperature``;
for greedy decoding, ``temperature=0``, under ``softmax(logits)``), and the decoded text.

Vision-language models (``bundle.processor`` set) get the images of each row, in order, through the image
processor; the contexts must already hold the expanded ``<|image_pad|>`` runs (``agents.chat`` does that).
VL policies never sample the vision placeholder tokens (``HFPolicy.suppressed_ids``: their logits are set to
``-inf`` before the temperature, and the recorded log-probs are under that masked distribution), because a
sampled placeholder would break the next forward pass. Likewise no policy samples ids past the tokenizer's
vocabulary (real Qwen checkpoints pad their embedding matrix beyond it).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from transformers import DynamicCache, GenerationConfig, LogitsProcessor, StoppingCriteria, StopStringCriteria

from agents import chat, decode, kv_prefix
from agents.base import register_agent
from agents.kv_prefix import PrefixCache
from agents.presets import PolicyBundle, load_preset
from pyvision_envs.protocol import STOP_STRINGS
from pyvision_envs.types import Observation


@dataclass(frozen=True)
class Generation:
    """One row's sampled turn.

    Attributes:
        token_ids: Sampled ids, up to and including the token that completed a stop string or the end-of-turn.
        logprobs: Log-probability of each sampled id under the sampling distribution.
        text: ``token_ids`` decoded (special tokens kept), without a trailing end-of-turn token.
        finish_reason: ``"stop"`` (a stop string), ``"eos"`` (end-of-turn/eos token) or ``"length"``.
    """

    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    text: str
    finish_reason: str


def unsampled_ids(bundle: PolicyBundle) -> tuple[tuple[int, ...], int]:
    """Ids the policy never samples: ``(suppressed ids, vocab_limit)``; ids from ``vocab_limit`` on are none.

    A sampled vision placeholder would break the next forward pass of a VL model (image features and placeholder
    tokens must match), so VL policies suppress them; embedding rows past the tokenizer (real Qwen checkpoints pad
    the matrix to a multiple of 64/128) are no tokens. The sampler and the loss forward both mask these, so the
    loss scores exactly the distribution that was sampled (the ratio starts at 1).
    """
    tok = bundle.tokenizer
    suppressed: tuple[int, ...] = ()
    if bundle.processor is not None:
        names = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
        suppressed = tuple(i for i in tok.convert_tokens_to_ids(list(names)) if i is not None and i != tok.unk_token_id)
    return suppressed, len(tok)


class _LogprobRecorder(LogitsProcessor):
    """Applies the temperature and keeps log-softmax of the result; gathers the sampled id's one step later.

    ``generate`` runs custom processors before its own warpers, so the temperature is applied here (the generation
    config keeps temperature 1 and switches every truncating warper off): what this processor returns is exactly
    the distribution ``generate`` samples from.
    """

    def __init__(self, temperature: float, suppress: Sequence[int] = (), vocab_limit: int | None = None) -> None:
        self.temperature, self.vocab_limit = temperature, vocab_limit
        self.suppress = list(suppress)
        self.prev: torch.Tensor | None = None
        self.steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.collect(input_ids[:, -1])
        scores = decode.masked_scores(scores, self.temperature, self.suppress, self.vocab_limit)
        self.prev = torch.log_softmax(scores, dim=-1)
        return scores

    def collect(self, last_ids: torch.Tensor) -> None:
        """Record the log-prob of ``last_ids`` (the tokens just sampled) under the previous step's scores."""
        if self.prev is not None:
            self.steps.append(self.prev.gather(1, last_ids.view(-1, 1)).squeeze(1))
            self.prev = None


class _FinishTracker(StoppingCriteria):
    """Stops rows on a stop string or an eos id and remembers at which generated length each row finished."""

    def __init__(self, stop: StopStringCriteria | None, eos_ids: Sequence[int], batch: int, prompt_len: int) -> None:
        self.stop, self.prompt_len = stop, prompt_len
        self.eos = torch.tensor(list(eos_ids), dtype=torch.long)
        self.length = torch.full((batch,), -1, dtype=torch.long)
        self.reason = ["length"] * batch

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        is_eos = torch.isin(input_ids[:, -1], self.eos.to(input_ids.device))
        hit = self.stop(input_ids, scores) if self.stop is not None else torch.zeros_like(is_eos)
        done = (hit | is_eos).cpu()
        for row in torch.nonzero(done & (self.length < 0)).flatten().tolist():
            self.length[row] = input_ids.shape[1] - self.prompt_len
            self.reason[row] = "eos" if bool(is_eos[row]) else "stop"
        return done.to(input_ids.device)


class HFPolicy:
    """A ``transformers`` policy: batched ``generate`` for rollouts, plus the Agent protocol for one conversation.

    Args:
        bundle: The loaded model, tokenizer and (for VL models) image processor.
        temperature: Sampling temperature; 0 means greedy.
        max_new_tokens: Per-turn token limit.
        stop_strings: Strings that end a turn as soon as they are generated.
        system_prompt: Optional system message for ``reset`` (the env's first observation is the user message).
        row_drop: Text-only policies sample with :mod:`agents.decode` (a finished row leaves the batch); False uses
            ``model.generate`` as VL policies do (every row computed until the last one ends; no KV reuse).
    """

    def __init__(self, bundle: PolicyBundle, *, temperature: float = 1.0, max_new_tokens: int = 512,
                 stop_strings: Sequence[str] = STOP_STRINGS, system_prompt: str | None = None,
                 row_drop: bool = True) -> None:
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
        self.bundle, self.model, self.tokenizer = bundle, bundle.model, bundle.tokenizer
        self.processor = bundle.processor
        self.temperature, self.max_new_tokens = temperature, max_new_tokens
        self.stop_strings, self.system_prompt = tuple(stop_strings), system_prompt
        self.row_drop = row_drop and self.processor is None
        self.eot_id = chat.end_of_turn_id(self.tokenizer)
        eos = self.model.generation_config.eos_token_id
        eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
        self.eos_ids = sorted(set(eos) | ({self.eot_id} if self.eot_id is not None else set()))
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]
        # The loss forward (trainers.rollout_batch.token_logprobs) masks the same ids: see unsampled_ids.
        self.suppressed_ids, self.vocab_limit = unsampled_ids(bundle)
        # Built once: it precomputes tables over the whole vocabulary.
        self._stop = StopStringCriteria(self.tokenizer, list(self.stop_strings)) if self.stop_strings else None
        self._ids: list[int] = []
        self._images: list[Image.Image] = []
        self._last: tuple[int, ...] = ()
        self._fresh = False

    @property
    def device(self) -> torch.device:
        """The model's device."""
        return next(self.model.parameters()).device

    def _config(self, max_new_tokens: int, temperature: float) -> GenerationConfig:
        fields: dict[str, Any] = dict(
            do_sample=temperature > 0, max_new_tokens=max_new_tokens, min_new_tokens=0, eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id, bos_token_id=None, use_cache=True, num_beams=1, num_return_sequences=1,
            repetition_penalty=1.0,
        )
        if temperature > 0:
            # Every truncating warper is switched off explicitly: unset fields would fall back to top_k=50.
            fields.update(temperature=1.0, top_k=0, top_p=1.0, typical_p=1.0)  # temperature: _LogprobRecorder
        return GenerationConfig(**fields)

    def _inputs(self, contexts: Sequence[Sequence[int]], images: Sequence[Sequence[Image.Image]] | None
                ) -> dict[str, torch.Tensor]:
        if not contexts or any(len(c) == 0 for c in contexts):
            raise ValueError("generate needs at least one context and no empty context (build them with agents.chat)")
        width = max(len(c) for c in contexts)
        ids = torch.full((len(contexts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(contexts), width), dtype=torch.long)
        for row, ctx in enumerate(contexts):  # left padding: the newest token sits at the same column in every row
            ids[row, width - len(ctx):] = torch.tensor(list(ctx), dtype=torch.long)
            mask[row, width - len(ctx):] = 1
        out = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
        return {**out, **self.image_inputs([im for row in (images or []) for im in row])}

    def image_inputs(self, images: Sequence[Image.Image]) -> dict[str, torch.Tensor]:
        """Model inputs for images given in the order of their ``<|image_pad|>`` runs.

        Returns:
            ``pixel_values`` and ``image_grid_thw`` on the model's device; empty for text-only policies or no images.
        """
        if self.processor is None or not images:
            return {}
        feats = self.processor(images=list(images), return_tensors="pt")
        return {"pixel_values": feats["pixel_values"].to(self.device, self.model.dtype),
                "image_grid_thw": feats["image_grid_thw"].to(self.device)}

    @torch.no_grad()
    def generate(self, contexts: Sequence[Sequence[int]], images: Sequence[Sequence[Image.Image]] | None = None, *,
                 max_new_tokens: int | None = None, temperature: float | None = None,
                 prefixes: PrefixCache | None = None, keys: Sequence[Hashable] | None = None) -> list[Generation]:
        """Sample one turn for every context as one batch (:mod:`agents.decode`; ``model.generate`` for VL).

        Args:
            contexts: Token ids of each conversation so far, ending with the assistant generation prompt.
            images: For VL models, each row's images in the order their ``<|image_pad|>`` runs appear.
            max_new_tokens: Per-turn limit for this call (default: the policy's).
            temperature: Sampling temperature for this call (default: the policy's); 0 = greedy.
            prefixes: Reuse and keep each conversation's KV cache across turns (:mod:`agents.kv_prefix`);
                ignored by VL policies.
            keys: With ``prefixes``: one key per context naming its conversation.

        Returns:
            One :class:`Generation` per context, in order.
        """
        if self.row_drop:
            return self._sample(contexts, max_new_tokens, temperature, prefixes, keys)
        if prefixes is not None and self.processor is None:
            raise ValueError("KV reuse (prefixes) needs row_drop=True for a text-only policy")
        inputs = self._inputs(contexts, images)
        width = inputs["input_ids"].shape[1]
        temp = self.temperature if temperature is None else temperature
        recorder = _LogprobRecorder(temp if temp > 0 else 1.0, self.suppressed_ids, self.vocab_limit)
        tracker = _FinishTracker(self._stop, self.eos_ids, len(contexts), width)
        config = self._config(max_new_tokens or self.max_new_tokens, temp)
        out = self.model.generate(**inputs, generation_config=config, logits_processor=[recorder],
                                  stopping_criteria=[tracker])
        gen = out[:, width:].cpu()
        recorder.collect(out[:, -1])
        logps = torch.stack(recorder.steps, dim=1).cpu() if recorder.steps else torch.zeros(gen.shape)
        results = []
        for row in range(len(contexts)):
            n = int(tracker.length[row]) if tracker.length[row] >= 0 else gen.shape[1]
            tokens = tuple(gen[row, :n].tolist())
            results.append(Generation(tokens, tuple(logps[row, :n].tolist()),
                                      chat.assistant_text(self.tokenizer, tokens), tracker.reason[row]))
        return results

    def _sample(self, contexts: Sequence[Sequence[int]], max_new_tokens: int | None, temperature: float | None,
                prefixes: PrefixCache | None, keys: Sequence[Hashable] | None) -> list[Generation]:
        """Text-only policies: :func:`agents.decode.sample`, rows leaving the batch as they finish."""
        if prefixes is not None and (keys is None or len(keys) != len(contexts)):
            raise ValueError("generate with prefixes needs one key per context (the conversation it continues)")
        if not contexts or any(len(c) == 0 for c in contexts):
            raise ValueError("generate needs at least one context and no empty context (build them with agents.chat)")
        cache = None
        if prefixes is not None:
            kv_prefix.prefill(self.model, prefixes, keys, contexts, self.pad_id)
            ids, mask, layers = kv_prefix.assemble(prefixes, keys, contexts, self.pad_id, self.device)
            cache = DynamicCache(ddp_cache_data=layers) if layers else None
        else:
            inputs = self._inputs(contexts, None)
            ids, mask = inputs["input_ids"], inputs["attention_mask"]
        out = decode.sample(self.model, ids, mask, cache, max_new_tokens=max_new_tokens or self.max_new_tokens,
                            temperature=self.temperature if temperature is None else temperature,
                            eos_ids=self.eos_ids, stop=self._stop, suppress=self.suppressed_ids,
                            vocab_limit=self.vocab_limit, keep_kv=prefixes is not None)
        results = []
        for row, (tokens, logps, reason) in enumerate(zip(out.tokens, out.logprobs, out.reasons, strict=True)):
            results.append(Generation(tuple(tokens), tuple(logps), chat.assistant_text(self.tokenizer, tokens), reason))
            if prefixes is not None:
                prefixes.put(keys[row], [*contexts[row], *tokens[:-1]], out.kv[row])
        return results

    # Agent protocol: one conversation, token-exact across turns.
    def reset(self, observation: Observation, info: Mapping[str, Any]) -> None:
        """Start a conversation whose first user message is ``observation``."""
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        messages.append(chat.user_message(observation.text, observation.images, vision=self.processor is not None))
        self._ids = chat.prompt_ids(self.tokenizer, messages, self.processor)
        self._images = list(observation.images) if self.processor is not None else []
        self._last, self._fresh = (), True

    def act(self, observation: Observation, info: Mapping[str, Any]) -> str:
        """Append ``observation`` (unless it is the one given to ``reset``), sample one turn, return its text."""
        if not self._fresh:
            self._ids += chat.observation_ids(self.tokenizer, observation.text, images=observation.images,
                                              processor=self.processor, sampled=self._last)
            if self.processor is not None:
                self._images += list(observation.images)
        self._fresh = False
        out = self.generate([self._ids], [self._images])[0]
        self._ids += list(out.token_ids)
        self._last = out.token_ids
        return out.text

    @property
    def conversation_ids(self) -> list[int]:
        """Every token of the current conversation so far (prompt, sampled turns and observations)."""
        return list(self._ids)


def make_hf_agent(preset: str | None = None, path: str | None = None, *, temperature: float = 1.0,
                  max_new_tokens: int = 512, seed: int = 0, device: str = "cpu", **kwargs: Any) -> HFPolicy:
    """Factory for agent ``hf``: ``make_agent("hf", preset="tiny")`` or ``make_agent("hf", path="/models/x")``."""
    if (preset is None) == (path is None):
        raise ValueError("agent 'hf' needs exactly one of preset=<name> or path=<local model folder>")
    bundle = load_preset(preset or path, seed=seed, device=device)
    return HFPolicy(bundle, temperature=temperature, max_new_tokens=max_new_tokens, **kwargs)


register_agent("hf", make_hf_agent)
