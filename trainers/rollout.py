"""The multi-turn rollout engine: many environments, one batched ``generate`` per turn, token-exact records.

Each trajectory has its own environment instance (``gym.make(env_id, **env_kwargs)``). A group of G rollouts of
one prompt is G environments reset with the **same seed**; the first draws the task, the others are given it
(``reset(seed=s, options={"task": task})``), so all G play the same task. The engine reads the drawn task from the
reset ``info["task"]``; an environment that does not put it there is asked through ``env.unwrapped.episode.task``
(the fallback for environments written before ``info["task"]``). Every turn, all live trajectories are generated together (left-padded, KV cache inside the call, stop
strings ``</code>`` and ``</answer>``), then their environments step in a thread pool (the sandbox runs in a
separate process, so steps overlap).

Token-exactness (``agents.chat``): the context starts as the chat template's rendering of the first user message
plus the generation prompt; then each turn appends the **sampled ids** (loss mask 1, their sampling log-probs)
and the **observation ids** rendered for the new user message alone (mask 0, log-prob 0). Earlier turns are never
re-tokenized, so the loss sees exactly the tokens that were sampled.

Context limit: the environment's own budget (``max_context_tokens`` with its ``token_counter``) counts message
text only, not the chat template's tokens nor the policy's exact image tokens, so it cannot enforce an exact
limit. The engine does it, with its own, differently named setting (``RolloutSettings.max_trajectory_tokens``):
a turn may generate at most ``max_trajectory_tokens - len(context)`` tokens, and a
trajectory whose next observation would leave no room for a turn ends engine-side, before that observation is
appended (so a trajectory never holds more than ``max_trajectory_tokens`` tokens, unless its prompt alone does), with
``EndReason.CONTEXT_FULL`` and zero reward terms
(no answer was given; the environment is left mid-episode and is reset on its next use). Oversample-filter-rank
drops such trajectories as broken interactions. The environment's own approximate budget stays as configured
(32768 by default), so it normally never fires first.

Text-only policies see observation text alone (images stay in the sandbox); vision-language policies get every
observation image through the image processor, and the processed ``pixel_values`` / ``image_grid_thw`` are kept
in ``Trajectory.vision_inputs`` for the loss forward.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from PIL import Image

from agents import chat
from agents.hf_policy import Generation, HFPolicy
from agents.kv_prefix import PrefixCache
from pyvision_envs.types import EndReason, Observation, RewardTerms, RolloutGroup, Task, Trajectory
from trainers.served import ENGINES, ServerSettings
from trainers.settings import Settings

_INFO_DROP = ("messages", "task_public", "question", "task")  # large or already in the trajectory


@dataclass(frozen=True)
class RolloutSettings(Settings):
    """How rollouts are generated (``GRPOConfig.rollout``; held-out evaluation uses the same)."""

    max_new_tokens: int = 512
    """Tokens the policy may generate in one turn."""
    max_trajectory_tokens: int = 4096
    """Exact token limit of one trajectory (prompt, turns, observations), enforced by the engine: past it the
    episode ends as ``context_full`` (see the module docstring). Not the environment's approximate
    ``max_context_tokens``, which counts message text only."""
    temperature: float = 1.0
    """Sampling temperature (0: greedy)."""
    max_batch: int = 0
    """Most rows in one ``generate`` call (0: every live trajectory at once); rows are sorted by length first."""
    env_workers: int = 8
    """Threads that step environments in parallel (1: in order, in this thread)."""
    kv_reuse: bool = False
    """Keep each trajectory's KV cache between its turns (``agents.kv_prefix``): a turn prefills only the tokens
    added since the last one, and a group's shared prompt is prefilled once. Text-only policies; same bounds on
    the sampled log-probs as without it."""
    keep_messages: bool = False
    """Keep the environment's ``info["messages"]`` (the whole conversation, images included) in
    ``Trajectory.info``; off in training to save memory."""
    engine: str = "hf"
    """Who samples: ``hf`` (``transformers`` in this process) or ``vllm`` (a vLLM server over HTTP, token-exact,
    weights pushed after every update; ``rollout.server.*`` says which server)."""
    server: ServerSettings = field(default_factory=ServerSettings)
    """The vLLM server of ``engine=vllm``: a running one by URL, or one launched for the run (``rollout.server.*``)."""
    max_weight_lag: int = 0
    """Weight versions a trajectory may lag behind the policy being updated (0: on-policy; a staler one is an
    error)."""

    def validate(self) -> None:
        """Positive limits, room for one whole turn, non-negative temperature, a known engine."""
        self._positive("max_new_tokens", "env_workers")
        self._non_negative("temperature", "max_batch", "max_weight_lag")
        if self.engine not in ENGINES:
            self._fail("engine", f"must be one of {ENGINES}")
        if self.engine == "vllm" and self.max_trajectory_tokens > self.server.max_model_len:
            self._fail("max_trajectory_tokens", f"exceeds rollout.server.max_model_len={self.server.max_model_len}; "
                       "raise that or lower this")
        if self.max_trajectory_tokens <= self.max_new_tokens:
            self._fail("max_trajectory_tokens", f"must exceed max_new_tokens={self.max_new_tokens} so that at "
                       "least one full turn fits; raise it or lower max_new_tokens")


@dataclass
class _Episode:
    """The live state of one trajectory."""

    env: Any
    seed: int
    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    logps: list[float] = field(default_factory=list)
    prompt_len: int = 0
    images: list[Image.Image] = field(default_factory=list)  # every observation image, in order
    spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of each sampled turn
    finish: list[str] = field(default_factory=list)
    last: tuple[int, ...] = ()
    text: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    end: EndReason = EndReason.NONE
    terms: RewardTerms | None = None
    task: Task | None = None


class RolloutEngine:
    """Drive batches of PyVision environments with a ``transformers`` policy and record ``Trajectory`` objects.

    Args:
        policy: The batched generator (:class:`agents.hf_policy.HFPolicy`); its ``system_prompt`` is used.
        env_id: A registered Gymnasium id (``PyVision/VisualSearch-v0``).
        env_kwargs: Keyword arguments of ``gym.make``.
        settings: Generation limits; defaults as in :class:`RolloutSettings`.

    Environments are created on first use and reused across calls (``close`` stops them and their sandboxes).
    Sampling uses torch's global generator: seed it before a call for reproducible rollouts.
    """

    def __init__(self, policy: HFPolicy, env_id: str, env_kwargs: Mapping[str, Any] | None = None,
                 settings: RolloutSettings | None = None) -> None:
        self.policy = policy
        self.tokenizer = policy.tokenizer
        self.processor = policy.processor
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self.settings = settings or RolloutSettings()
        self._envs: list[Any] = []
        self._pool = concurrent.futures.ThreadPoolExecutor(self.settings.env_workers) \
            if self.settings.env_workers > 1 else None

    @property
    def weight_version(self) -> int:
        """The version of the weights now sampling (a served policy counts its pushes; in process: 0)."""
        return int(getattr(self.policy, "weight_version", 0))

    @property
    def vision(self) -> bool:
        """Whether the policy sees images in its context."""
        return self.processor is not None

    # ----- public API -----
    def rollout(self, seeds: Sequence[int], group_size: int = 1) -> list[RolloutGroup]:
        """Roll out ``group_size`` trajectories for each seed, all in one batch; one group per seed, in order."""
        if group_size < 1:
            raise ValueError(f"group_size={group_size} must be >= 1")
        flat = [int(s) for s in seeds for _ in range(group_size)]
        trajs = self.run_episodes(flat)
        return [RolloutGroup(prompt_id=trajs[i * group_size].prompt_id,
                             trajectories=tuple(trajs[i * group_size:(i + 1) * group_size]))
                for i in range(len(seeds))]

    def run_episodes(self, seeds: Sequence[int]) -> list[Trajectory]:
        """Play one episode per seed (``env.reset(seed=...)``), all turns batched; trajectories in seed order."""
        while len(self._envs) < len(seeds):
            self._envs.append(gym.make(self.env_id, **self.env_kwargs))
        # the pool may hold more environments than this call needs: zip stops at the seeds, by design
        episodes = [_Episode(env=env, seed=int(seed)) for env, seed in zip(self._envs, seeds)]
        tasks: dict[int, Any] = {}  # seed -> (task, prompt ids): shared by a group's members
        for ep in episodes:
            self._start(ep, tasks)
        live = [ep for ep in episodes if ep.end is EndReason.NONE]
        prefixes = PrefixCache() if self.settings.kv_reuse else None
        while live:
            self._generate_turn(live, prefixes)
            self._step_envs([ep for ep in live if ep.end is EndReason.NONE])
            live = [ep for ep in live if ep.end is EndReason.NONE]
            if prefixes is not None:  # ended trajectories' caches go now (memory), the rest at the end
                for key in {id(ep) for ep in episodes} - {id(ep) for ep in live}:
                    prefixes.drop(key)
        return [self._record(ep) for ep in episodes]

    def close(self) -> None:
        """Close every environment (and its sandbox) and the stepping threads."""
        for env in self._envs:
            env.close()
        self._envs.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> RolloutEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- one episode's life -----
    def _start(self, ep: _Episode, tasks: dict[int, Any]) -> None:
        # Members of a group after the first are given the first one's task (``options["task"]``) instead of
        # drawing it again: generating a task's images is most of a reset's cost. The sandbox seed (which only
        # code calling `random` sees) is then drawn at another point of the env's generator than the first's.
        shared = tasks.get(ep.seed)
        obs, info = ep.env.reset(seed=ep.seed, options={"task": shared[0]} if shared else None)
        if shared is None:
            messages = [{"role": "system", "content": self.policy.system_prompt}] if self.policy.system_prompt else []
            messages.append(chat.user_message(obs.text, obs.images, vision=self.vision))
            shared = tasks[ep.seed] = (_task_of(ep.env, info),
                                       chat.prompt_ids(self.tokenizer, messages, self.processor))
        ep.task, ep.ids = shared[0], list(shared[1])
        ep.mask, ep.logps, ep.prompt_len = [0] * len(ep.ids), [0.0] * len(ep.ids), len(ep.ids)
        ep.images = list(obs.images)
        ep.info = dict(info)
        if len(ep.ids) >= self.settings.max_trajectory_tokens:
            ep.end = EndReason.CONTEXT_FULL

    def _generate_turn(self, live: list[_Episode], prefixes: PrefixCache | None = None) -> None:
        """Sample one turn for every live episode (those out of room end as context-full)."""
        limit = self.settings.max_trajectory_tokens
        for ep in live:
            if len(ep.ids) >= limit:
                ep.end = EndReason.CONTEXT_FULL
        rows = sorted((ep for ep in live if ep.end is EndReason.NONE), key=lambda e: len(e.ids))
        size = self.settings.max_batch or max(len(rows), 1)
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            room = [limit - len(ep.ids) for ep in chunk]
            gens = self.policy.generate(
                [ep.ids for ep in chunk], [ep.images for ep in chunk] if self.vision else None,
                max_new_tokens=min(self.settings.max_new_tokens, max(room)),
                temperature=self.settings.temperature,
                **({"prefixes": prefixes, "keys": [id(ep) for ep in chunk]} if prefixes is not None else {}))
            for ep, gen, r in zip(chunk, gens, room, strict=True):
                self._append_sampled(ep, gen, r)

    def _append_sampled(self, ep: _Episode, gen: Generation, room: int) -> None:
        tokens, logps, reason, text = list(gen.token_ids), list(gen.logprobs), gen.finish_reason, gen.text
        if len(tokens) > room:  # the batch's limit was set by a roomier row: this row stops at its own room
            tokens, logps, reason = tokens[:room], logps[:room], "length"
            text = chat.assistant_text(self.tokenizer, tokens)
        ep.spans.append((len(ep.ids), len(ep.ids) + len(tokens)))
        ep.ids += tokens
        ep.mask += [1] * len(tokens)
        ep.logps += logps
        ep.finish.append(reason)
        ep.last, ep.text = tuple(tokens), text

    def _step_envs(self, eps: list[_Episode]) -> None:
        def step(ep: _Episode) -> tuple[Any, ...]:
            return ep.env.step(ep.text)

        if self._pool is not None and len(eps) > 1:
            results = list(self._pool.map(step, eps))
        else:
            results = [step(ep) for ep in eps]
        for ep, (obs, _reward, terminated, truncated, info) in zip(eps, results, strict=True):
            self._observe(ep, obs, terminated or truncated, info)

    def _observe(self, ep: _Episode, obs: Observation, done: bool, info: dict[str, Any]) -> None:
        ep.info = dict(info)
        if done:
            ep.end = EndReason(info["end_reason"])
            ep.terms = info.get("reward_terms", RewardTerms())
            return
        obs_ids = chat.observation_ids(self.tokenizer, obs.text, images=obs.images, processor=self.processor,
                                       sampled=ep.last)
        if len(ep.ids) + len(obs_ids) >= self.settings.max_trajectory_tokens:
            ep.end = EndReason.CONTEXT_FULL  # no room for the reply and a next turn; the reply is not kept
            return
        ep.ids += obs_ids
        ep.mask += [0] * len(obs_ids)
        ep.logps += [0.0] * len(obs_ids)
        ep.images += list(obs.images)

    def _record(self, ep: _Episode) -> Trajectory:
        info = {k: v for k, v in ep.info.items() if k not in _INFO_DROP
                or (self.settings.keep_messages and k == "messages")}
        vision: dict[str, Any] = {}
        if self.vision and ep.images:
            feats = self.processor(images=ep.images, return_tensors="pt")
            vision = {"pixel_values": feats["pixel_values"], "image_grid_thw": feats["image_grid_thw"]}
        terms = ep.terms or RewardTerms()
        return Trajectory(
            prompt_id=f"{ep.info.get('task_id', self.env_id)}@{ep.seed}",
            token_ids=tuple(ep.ids), loss_mask=tuple(ep.mask), old_logprobs=tuple(ep.logps),
            prompt_len=ep.prompt_len, reward=float(terms.total), terms=terms, end_reason=ep.end,
            tool_calls=int(ep.info.get("tool_calls", 0)), tool_errors=int(ep.info.get("tool_errors", 0)),
            images_returned=int(ep.info.get("images_returned", 0)),
            images=tuple(ep.images), info=info, seed=ep.seed, turns=len(ep.spans),
            answer=ep.info.get("answer_given"), task=ep.task, spans=tuple(ep.spans),
            finish_reasons=tuple(ep.finish), ended_by_engine=ep.end is EndReason.CONTEXT_FULL and ep.terms is None,
            vision_inputs=vision, weight_version=self.weight_version,
        )


def _task_of(env: Any, info: Mapping[str, Any]) -> Task:
    """The task an environment drew at reset: ``info["task"]`` when it reports it, else its episode record."""
    task = info.get("task")
    return task if isinstance(task, Task) else env.unwrapped.episode.task
