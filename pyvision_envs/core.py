"""The multi-turn, text-action Gymnasium environment base: it owns reset, step, the turn loop and the reward.

The base owns the episode's whole life: ``reset`` closes the previous episode, opens the next and returns its
prompt; ``step`` plays turns; ``close`` and copies release what the episode holds. A concrete environment
only says where tasks come from (:meth:`PyVisionEnv._sample_task`) and, if it needs to, fills the hooks:

* :meth:`PyVisionEnv._open_episode` / :meth:`PyVisionEnv._close_episode`: acquire and release what one
  episode needs beyond the sandbox (a video decoder);
* :meth:`PyVisionEnv._prompt` and :meth:`PyVisionEnv._sandbox_kwargs`: the first observation and the sandbox;
* :meth:`PyVisionEnv._extra_info`: keys the env adds to every ``info``;
* ``_transient``: attributes a copy or pickle of the env must not carry (live processes, decoders).

Everything else follows SPEC sections 2 and 3:

* an action is the text of one model turn; :mod:`pyvision_envs.protocol` reads it as code, answer or
  malformed;
* code runs in a per-episode :class:`~pyvision_envs.sandbox.Sandbox` with persistent state; the result comes
  back as the next observation. A failing call is data, never an exception (DESIGN example 5);
* the reward is paid once, at the end, as named terms (``info["reward_terms"]``), so the episode return
  equals the sum of step rewards;
* the episode ends on an answer (terminated), at ``max_turns`` (truncated), past ``max_images`` images or
  ``max_context_tokens`` tokens in the conversation (truncated), and, if so configured, on a tool error or a
  malformed turn (terminated). ``info["end_reason"]`` says which.

The reset ``info`` carries the episode's :class:`~pyvision_envs.types.Task` as ``info["task"]`` (answer
included: it is for the host, e.g. a rollout engine grading or logging, not for the policy's prompt).
"""

from __future__ import annotations

import copy
import dataclasses
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from PIL import Image

from pyvision_envs.names import unknown_name
from pyvision_envs.protocol import (
    MAX_ACTION_CHARS,
    PROMPT_STYLES,
    Answer,
    Code,
    Malformed,
    format_hint,
    image_prompt,
    parse_action,
    render_result,
)
from pyvision_envs.spaces import ObservationSpace, TurnSpace
from pyvision_envs.types import EndReason, ExecutionResult, Observation, RewardTerms, Task
from pyvision_envs.visual_tokens import (
    QWEN25_VL,
    TextTokenCounter,
    VisualTokenRule,
    chars_per_token,
    images_tokens,
)

_CHOICES = {"on_tool_error": ("feed", "end"), "on_malformed": ("feed", "end"), "on_judge_error": ("raise", "zero"),
            "prompt": PROMPT_STYLES}
TOOL_FAILURE = "ToolFailure"
"""First word of the error of a tool call failed by ``tool_failure_rate`` (agents may retry on it)."""


@dataclass(frozen=True)
class EnvConfig:
    """Settings shared by every PyVision environment. Each field is a keyword of ``gym.make``."""

    max_turns: int = 5
    """Model turns per episode (training: 5, so at most 4 observed tool calls; the paper evaluates with 30)."""
    max_images: int = 32
    """Most images the conversation may hold (inputs shown in context plus figures); more truncates."""
    max_context_tokens: int | None = 32768
    """Context budget: the episode is truncated (``context_full``) once the conversation is longer. ``None``: no
    budget."""
    token_counter: TextTokenCounter = chars_per_token
    """Tokens of a text (default: one per 4 characters). Pass your tokenizer's count for exact budgets."""
    visual_token_rule: VisualTokenRule = QWEN25_VL
    """Tokens of an image from its size (default: Qwen2.5-VL's 28x28-pixel blocks after its resize)."""
    on_tool_error: str = "feed"
    """``"feed"``: a failing call's error becomes the next observation; ``"end"``: it ends the episode."""
    on_malformed: str = "feed"
    """``"feed"``: an unreadable turn gets a format hint (and counts as a turn); ``"end"``: it ends the episode."""
    strict: bool = False
    """Accept only the original protocol layout (see :func:`pyvision_envs.protocol.parse_action`)."""
    max_action_chars: int = MAX_ACTION_CHARS
    """Longest turn that is read; a longer one is malformed (a format hint naming its length), so degenerate
    output costs bounded time."""
    image_in_context: bool = True
    """Show the input images in the prompt; ``False`` binds them in Python only (the policy must use code)."""
    prompt: str = "full"
    """Wording of the first message: ``"full"`` (the PyVision prompt: what the sandbox offers, how to use it) or
    ``"brief"`` (only the image facts and the two layouts: a VisualSearch first message is 172 SmolLM2 tokens
    instead of 386; for small policies that learn the protocol in a cold start)."""
    tool_coef: float = 0.1
    """Tool reward per successful tool call, paid only when the answer is correct."""
    tool_cap: int | None = None
    """Count at most this many tool calls for the tool reward (``None``: no cap)."""
    tool_reward: bool = True
    """``False`` drops the tool term (the paper's ablation)."""
    format_penalty: float = 0.0
    """Subtracted when any turn broke the protocol's exact layout (0: no format term, as in the paper)."""
    judge: Any = None
    """An LLM judge (:class:`pyvision_envs.rewards.Judge`) for tasks graded ``"judge"``."""
    on_judge_error: str = "raise"
    """When the judge fails (:class:`~pyvision_envs.rewards.JudgeError`): ``"raise"`` it from ``step``, with the
    episode unchanged so the same step can be retried; ``"zero"``: score the answer 0 and say so in
    ``info["judge_error"]``."""
    tool_failure_rate: float = 0.0
    """Share of tool calls that fail without running (a flaky tool), drawn per call from the episode's seed, so a
    seeded episode fails the same calls again. The failure is fed back as an error and counts as a tool error."""
    timeout_s: float = 10.0
    """Wall-clock limit of one code execution."""
    memory_mb: int = 2048
    """Memory limit of the sandbox worker."""
    max_output_chars: int = 8192
    """Printed output kept per call (the middle of longer output is elided)."""
    messages_in_info: bool = True
    """Put the full conversation in ``info["messages"]``. Turn off to cut inter-process traffic in async
    vector envs."""

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}: use one of {allowed}")
        positive = {"max_turns": self.max_turns, "max_images": self.max_images, "timeout_s": self.timeout_s,
                    "max_action_chars": self.max_action_chars,
                    "memory_mb": self.memory_mb, "max_output_chars": self.max_output_chars}
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.max_context_tokens is not None and self.max_context_tokens <= 0:
            raise ValueError(f"max_context_tokens must be positive or None, got {self.max_context_tokens!r}")
        if not 0 <= self.tool_failure_rate < 1:
            raise ValueError(f"tool_failure_rate must be in [0, 1) (a share of tool calls), got {self.tool_failure_rate!r}")
        if self.tool_coef < 0 or self.format_penalty < 0 or (self.tool_cap is not None and self.tool_cap < 0):
            raise ValueError("tool_coef, tool_cap and format_penalty must be >= 0 (the penalty is subtracted); "
                             f"got {self.tool_coef}, {self.tool_cap}, {self.format_penalty}")
        if not callable(self.token_counter) or not callable(self.visual_token_rule):
            raise TypeError("token_counter must be a callable str -> int and visual_token_rule a callable "
                            "(width, height) -> int")


def make_config(**kwargs: Any) -> EnvConfig:
    """Build an :class:`EnvConfig`, naming the closest field for a misspelt keyword."""
    fields = [f.name for f in dataclasses.fields(EnvConfig)]
    for key in kwargs:
        if key not in fields:
            raise TypeError(unknown_name("environment keyword", key, fields))
    return EnvConfig(**kwargs)


@dataclass(frozen=True)
class Message:
    """One message of the conversation; ``images`` are those shown to the model in it."""

    role: str
    content: str
    images: tuple[Image.Image, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """``{"role", "content", "images"}`` in the chat-message shape agents and trainers use."""
        return {"role": self.role, "content": self.content, "images": list(self.images)}


@dataclass
class Episode:
    """The live state of one episode (counters as reported in ``info``)."""

    task: Task
    code_seed: int | None = None
    """Seed of ``random`` and ``numpy.random`` inside this episode's sandbox."""
    n_bound: int = 0
    """Images bound in Python so far (inputs and every figure): the next figure is ``image_clue_{n_bound}``."""
    messages: list[Message] = field(default_factory=list)
    turn: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    format_errors: int = 0
    images_shown: int = 0
    images_returned: int = 0
    visual_tokens: int = 0
    context_tokens: int = 0
    images_over: bool = False
    well_formed: bool = True
    answer: str | None = None
    end_reason: EndReason = EndReason.NONE
    terms: RewardTerms | None = None
    exec_seconds: float = 0.0
    """Seconds spent in the sandbox, creating it included (kept out of ``info`` so that info stays
    deterministic)."""
    lost_state: bool = False
    judge_error: str | None = None
    """Why the judge could not grade the answer (``on_judge_error="zero"`` scored it 0)."""
    tool_rng: random.Random | None = None
    """Draws which tool calls fail (``tool_failure_rate``); seeded from ``code_seed``."""


def render_transcript(ep: Episode) -> str:
    """The episode as plain text: each message, its images as ``[image WxH]``, then the outcome."""
    lines = [f"Task {ep.task.id} ({ep.task.family or 'no family'})"]
    turn = 0
    for m in ep.messages:
        if m.role == "assistant":
            turn += 1
        lines.append(f"--- {m.role}" + (f" (turn {turn})" if m.role == "assistant" else "") + " ---")
        lines.append(m.content)
        lines.extend(f"[image {im.width}x{im.height}]" for im in m.images)
    if ep.end_reason is not EndReason.NONE:
        t = ep.terms or RewardTerms()
        lines.append(f"=== end: {ep.end_reason.value} | answer: {ep.answer!r} | expected: {ep.task.answer!r} | "
                     f"reward {t.total:g} (accuracy {t.accuracy:g}, tool {t.tool:g}, format {t.format:g}) ===")
    return "\n".join(lines)


class PyVisionEnv(gym.Env[Observation, str]):
    """Base class of every PyVision environment. Subclasses implement :meth:`_sample_task`.

    Args:
        render_mode: ``None`` or ``"ansi"`` (``render()`` returns the transcript as text).
        **config: Fields of :class:`EnvConfig` (``max_turns``, ``on_tool_error`` ...).
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}
    reset_options: tuple[str, ...] = ("task", "index")
    """Keys ``reset(options=...)`` accepts: ``task`` (a :class:`Task` to play) or ``index`` (which task)."""
    _transient: tuple[str, ...] = ("_sandbox",)
    """Attributes that hold live resources: a copy or unpickled env gets ``None`` and reopens them on use."""

    def __init__(self, render_mode: str | None = None, **config: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode={render_mode!r} is not supported; use one of "
                             f"{self.metadata['render_modes']} or None")
        self.render_mode = render_mode
        self.config: EnvConfig = make_config(**config)
        self.action_space = TurnSpace()
        self.observation_space = ObservationSpace(max_images=self.config.max_images)
        self._sandbox: Any = None
        self._episode: Episode | None = None

    # ----- hooks for concrete environments -----
    def _sample_task(self, options: Mapping[str, Any]) -> Task:
        """Return the next task, drawn with ``self.np_random`` (or picked by ``options["index"]``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _sample_task(options)")

    def _open_episode(self, task: Task) -> None:
        """Acquire what the episode of ``task`` needs, before its prompt is built. Default: nothing."""

    def _close_episode(self) -> None:
        """Release what the current episode holds (called by ``reset`` and ``close``; safe to repeat).

        The base stops the sandbox. An override releases its own resources after ``super()._close_episode()``,
        because the sandbox may still use them (a video it serves).
        """
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.close()

    def _extra_info(self, ep: Episode) -> dict[str, Any]:
        """Keys this environment adds to every ``info`` (fresh objects each call). Default: none."""
        return {}

    def _prompt(self, task: Task) -> Observation:
        """The first observation of an episode. Default: the image prompt with the task's images."""
        return image_prompt(task.question, task.images, image_in_context=self.config.image_in_context,
                            brief=self.config.prompt == "brief")

    def _sandbox_kwargs(self, task: Task) -> dict[str, Any]:
        """Keyword arguments of the episode's :class:`~pyvision_envs.sandbox.Sandbox`."""
        cfg = self.config
        seed = self._episode.code_seed if self._episode else None
        return {"images": list(task.images), "video": None, "timeout_s": cfg.timeout_s, "seed": seed,
                "memory_mb": cfg.memory_mb, "max_output_chars": cfg.max_output_chars}

    # ----- the Gymnasium API -----
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start an episode: draw a task (or take ``options["task"]``) and return its prompt."""
        super().reset(seed=seed)
        self._close_episode()
        options = dict(options or {})
        unknown = sorted(set(options) - set(self.reset_options))
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; {type(self).__name__} accepts {list(self.reset_options)}")
        task = options["task"] if "task" in options else self._sample_task(options)
        if not isinstance(task, Task):
            raise TypeError(f"reset(options={{'task': ...}}) needs a pyvision_envs.types.Task, got {type(task).__name__}")
        self._open_episode(task)
        prompt = self._prompt(task)
        if prompt not in self.observation_space:
            raise ValueError(f"task {task.id!r}: its prompt does not fit {self.observation_space} (too many or "
                             "too large images, or too long a question); raise max_images or shorten the task")
        # Seeds `random` / `numpy.random` inside the sandbox, so that a seeded episode replays exactly.
        code_seed = int(self.np_random.integers(2**31 - 1))
        self._episode = ep = Episode(task=task, n_bound=len(task.images), code_seed=code_seed,
                                     tool_rng=random.Random(f"tool-failure:{code_seed}"))
        self._add_message(ep, "user", prompt)
        return prompt, self._info(ep, at_reset=True)

    def step(self, action: str) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """Play one model turn; see the module docstring for what happens."""
        ep = self._episode
        if ep is None or ep.end_reason is not EndReason.NONE:
            raise gym.error.ResetNeeded("the episode is over (or never started): call reset() before step()")
        # raises TypeError on a non-str action
        parsed = parse_action(action, strict=self.config.strict, max_chars=self.config.max_action_chars)
        # graded before anything changes: a judge failure raised here leaves the episode as it was
        accuracy = self._grade(ep, parsed.text) if isinstance(parsed, Answer) else 0.0
        ep.turn += 1
        self._add_message(ep, "assistant", Observation(text=action))
        obs, end = self._play(ep, parsed)
        if obs.text or obs.images:
            self._add_message(ep, "user", obs)
        if end is EndReason.NONE:
            end = self._limit_reached(ep)
        reward = 0.0
        if end is not EndReason.NONE:
            reward = self._finish(ep, end, accuracy)
        terminated = end in (EndReason.ANSWERED, EndReason.TOOL_ERROR, EndReason.FORMAT_ERROR)
        truncated = end is not EndReason.NONE and not terminated
        return obs, reward, terminated, truncated, self._info(ep)

    def render(self) -> str | None:
        """The transcript so far as text (``render_mode="ansi"``); ``None`` without a render mode."""
        if self.render_mode != "ansi":
            return None
        return self.transcript()

    def transcript(self) -> str:
        """A human-readable transcript of the current episode (images as ``[image WxH]``)."""
        return render_transcript(self._episode) if self._episode else "(no episode yet: call reset())"

    def close(self) -> None:
        """Release what the episode holds (its sandbox, and whatever the env opened). Safe to call more than once."""
        self._close_episode()

    @property
    def episode(self) -> Episode | None:
        """The live episode record (task, messages, counters); read-only use."""
        return self._episode

    # ----- internals -----
    def _play(self, ep: Episode, parsed: Answer | Code | Malformed) -> tuple[Observation, EndReason]:
        """Apply one parsed turn; return the observation and the end reason it causes (or NONE)."""
        if isinstance(parsed, Answer):
            ep.answer, ep.well_formed = parsed.text, ep.well_formed and parsed.well_formed
            return Observation(text=""), EndReason.ANSWERED
        if isinstance(parsed, Malformed):
            ep.format_errors += 1
            ep.well_formed = False
            end = EndReason.FORMAT_ERROR if self.config.on_malformed == "end" else EndReason.NONE
            return format_hint(parsed.reason), end
        ep.well_formed = ep.well_formed and parsed.well_formed
        if ep.turn >= self.config.max_turns:
            # The model would never see this call's result, so it is not run (SPEC: 5 turns, 4 observed calls).
            return Observation(text=f"Turn limit reached ({self.config.max_turns} turns): the episode ends "
                                    "without an answer; the last code was not run."), EndReason.NONE
        result = self._run(ep, parsed.code)
        if result.ok:
            ep.tool_calls += 1
        else:
            ep.tool_errors += 1
        obs = self._observe(ep, result)
        end = EndReason.TOOL_ERROR if not result.ok and self.config.on_tool_error == "end" else EndReason.NONE
        return obs, end

    def _run(self, ep: Episode, code: str) -> ExecutionResult:
        rate = self.config.tool_failure_rate
        if rate and ep.tool_rng is not None and ep.tool_rng.random() < rate:
            return ExecutionResult(error=f"{TOOL_FAILURE}: the tool did not run this call (it fails at random, "
                                         f"{rate:.0%} of calls); nothing changed. Run the code again.")
        if self._sandbox is None:
            from pyvision_envs.sandbox import Sandbox  # lazy: keeps `import pyvision_envs` light

            t0 = time.perf_counter()
            self._sandbox = Sandbox(**self._sandbox_kwargs(ep.task))  # copies the input images
            ep.exec_seconds += time.perf_counter() - t0
        result = self._sandbox.run(code)
        ep.exec_seconds += result.seconds
        if ep.lost_state:  # the env was copied or unpickled mid-episode: earlier variables are gone
            ep.lost_state = False
            result = dataclasses.replace(result, state_lost=True)
        return result

    def _observe(self, ep: Episode, result: ExecutionResult) -> Observation:
        """Render a result, keeping the conversation within ``max_images`` (extra figures are dropped)."""
        first = ep.n_bound
        ep.n_bound += len(result.images)
        room = self.config.max_images - ep.images_shown
        dropped = max(0, len(result.images) - room)
        if dropped:
            ep.images_over = True
            result = dataclasses.replace(result, images=result.images[:room], image_names=result.image_names[:room])
        obs = render_result(result, first, timeout_s=self.config.timeout_s)
        if dropped:
            obs = Observation(text=obs.text + f"\n({dropped} more figure(s) not shown: the conversation holds "
                                              f"at most {self.config.max_images} images.)", images=obs.images)
        ep.images_returned += len(obs.images)
        return obs

    def _limit_reached(self, ep: Episode) -> EndReason:
        cfg = self.config
        if ep.images_over:
            return EndReason.TOO_MANY_IMAGES
        if cfg.max_context_tokens is not None and ep.context_tokens > cfg.max_context_tokens:
            return EndReason.CONTEXT_FULL
        if ep.turn >= cfg.max_turns:
            return EndReason.MAX_TURNS
        return EndReason.NONE

    def _grade(self, ep: Episode, answer: str) -> float:
        """The answer's accuracy; a judge failure raises (episode untouched) or scores 0, per ``on_judge_error``."""
        from pyvision_envs.rewards import JudgeError, grade  # lazy: graders pull in the judge client

        try:
            return grade(ep.task, answer, judge=self.config.judge)
        except JudgeError as exc:
            if self.config.on_judge_error == "raise":
                raise JudgeError(f"task {ep.task.id!r}: {exc}. The episode is unchanged: step() may be retried "
                                 "with the same action, or pass on_judge_error='zero' to score 0") from exc
            ep.judge_error = str(exc)
            return 0.0

    def _finish(self, ep: Episode, end: EndReason, accuracy: float) -> float:
        """Store the terms of the graded episode and return the (only non-zero) reward."""
        from pyvision_envs.rewards import combine

        cfg = self.config
        ep.terms = combine(accuracy, ep.tool_calls, well_formed=ep.well_formed, coef=cfg.tool_coef,
                           cap=cfg.tool_cap, format_penalty=cfg.format_penalty, tool_reward_on=cfg.tool_reward)
        ep.end_reason = end
        return float(ep.terms.total)

    def _add_message(self, ep: Episode, role: str, obs: Observation) -> None:
        in_context = obs.images if role == "user" else ()
        ep.messages.append(Message(role=role, content=obs.text, images=tuple(in_context)))
        ep.images_shown += len(in_context)
        vt = images_tokens(in_context, self.config.visual_token_rule)
        ep.visual_tokens += vt
        ep.context_tokens += vt + int(self.config.token_counter(obs.text))

    def _info(self, ep: Episode, at_reset: bool = False) -> dict[str, Any]:
        """A fresh info dict (no object shared with earlier ones, as Gymnasium's checker demands)."""
        info: dict[str, Any] = {
            "turn": ep.turn, "tool_calls": ep.tool_calls, "tool_errors": ep.tool_errors,
            "format_errors": ep.format_errors, "images_shown": ep.images_shown,
            "images_returned": ep.images_returned, "visual_tokens": ep.visual_tokens,
            "context_tokens": ep.context_tokens, "end_reason": ep.end_reason,
            "family": ep.task.family, "task_id": ep.task.id,
        }
        if at_reset:
            info["task"] = ep.task
            info["task_public"] = copy.deepcopy(dict(ep.task.public))
            info["question"] = ep.task.question
        if ep.end_reason is not EndReason.NONE:
            terms = ep.terms or RewardTerms()
            info.update(reward_terms=terms, correct=terms.accuracy >= 1.0, answer_given=ep.answer)
            if ep.judge_error is not None:
                info["judge_error"] = ep.judge_error
        if self.config.messages_in_info:
            info["messages"] = [m.as_dict() for m in ep.messages]
        info.update(self._extra_info(ep))
        return info

    def __getstate__(self) -> dict[str, Any]:
        # A sandbox (a live process) cannot be copied; a copy starts a fresh one and says so on its next call.
        state = self.__dict__.copy()
        if state.get("_sandbox") is not None and state.get("_episode") is not None:
            state["_episode"] = dataclasses.replace(state["_episode"], lost_state=True,
                                                    messages=list(state["_episode"].messages))
        for name in self._transient:
            state[name] = None
        return state
