"""Frozen records shared by every layer: sandbox, environments, agents and trainers.

Records cross module boundaries instead of ``dict[str, Any]`` so that a field's meaning is written once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class ExecutionResult:
    """What one ``Sandbox.run`` call produced. User-code failures are data here, never exceptions.

    Attributes:
        stdout: Printed text, truncated to the sandbox's output cap with the middle elided.
        images: Figures shown during the call (``plt.show()`` / ``show(x)``), as RGB PIL images.
        error: ``None`` on success, else the exception type, message and offending user line(s).
        timed_out: The call hit the wall-clock limit and its worker was killed.
        seconds: Wall-clock seconds the call took, measured by the host.
        state_lost: The worker that held earlier state died (timeout, crash, memory) before this call,
            so variables from earlier calls are gone. Input images and earlier figures are re-bound.
        image_names: The Python names the figures in ``images`` were bound to (``image_clue_k``).
    """

    stdout: str = ""
    images: tuple[Image.Image, ...] = ()
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0
    state_lost: bool = False
    image_names: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the code ran to completion without an error or a timeout."""
        return self.error is None and not self.timed_out


class EndReason(str, enum.Enum):
    """Why an episode ended (``info["end_reason"]``); ``NONE`` while it is still running."""

    NONE = "none"
    ANSWERED = "answered"
    MAX_TURNS = "max_turns"
    CONTEXT_FULL = "context_full"
    TOO_MANY_IMAGES = "too_many_images"
    FORMAT_ERROR = "format_error"
    TOOL_ERROR = "tool_error"

    @property
    def broken_interaction(self) -> bool:
        """Ends that oversample-filter-rank drops as broken agent-environment interactions."""
        return self in (EndReason.CONTEXT_FULL, EndReason.TOO_MANY_IMAGES, EndReason.FORMAT_ERROR)


@dataclass(frozen=True)
class VideoRef:
    """A video a task refers to: a local file path, read through ``pyvision_envs.media``."""

    path: str
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class Task:
    """One question about one or more images or a video.

    Attributes:
        id: Stable identifier (for synthetic tasks: family, difficulty and seed).
        question: The question text as the model sees it (choices included where there are any).
        answer: The canonical ground-truth answer string.
        grader: Name of the grader in ``pyvision_envs.rewards`` (``choice``, ``exact``, ``numeric``, ``mra``,
            ``judge``).
        grader_args: Keyword arguments for the grader (for example ``{"rel_tol": 0.05}``).
        images: Input images, bound in the sandbox as ``image_clue_0..n``.
        video: Input video, bound in the sandbox as ``video_clue_0``.
        family: Task family name (``visual_search``, ``counting``, ...) or the data source of a real record.
        public: Structured facts the question already states (target colour, shape names, choices), for
            scripted experts. Never the answer.
        meta: Anything else (difficulty, ability, data source); not shown to agents.
    """

    id: str
    question: str
    answer: str
    grader: str = "exact"
    grader_args: Mapping[str, Any] = field(default_factory=dict)
    images: tuple[Image.Image, ...] = ()
    video: VideoRef | None = None
    family: str = ""
    public: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __getstate__(self) -> tuple[dict[str, Any], list[str]]:
        # Generators and loaders hand out read-only mappingproxy views, which do not pickle. Send plain dicts
        # and restore the views on load, so a task crosses processes (``info["task"]`` in async vector envs).
        state = dict(self.__dict__)
        views = [k for k, v in state.items() if isinstance(v, MappingProxyType)]
        state.update({k: dict(state[k]) for k in views})
        return state, views

    def __setstate__(self, packed: tuple[dict[str, Any], list[str]]) -> None:
        state, views = packed
        state.update({k: MappingProxyType(state[k]) for k in views})
        self.__dict__.update(state)  # frozen: object.__setattr__ is refused, the instance dict is not


@dataclass(frozen=True)
class Observation:
    """A new user message: its text and the images it carries, in order of their markers."""

    text: str
    images: tuple[Image.Image, ...] = ()


@dataclass(frozen=True)
class RewardTerms:
    """The named terms of the episode reward (SPEC section 3). ``total`` is their weighted sum."""

    accuracy: float = 0.0
    tool: float = 0.0
    format: float = 0.0

    @property
    def total(self) -> float:
        """The reward paid at the end of the episode."""
        return self.accuracy + self.tool + self.format


@dataclass(frozen=True)
class Trajectory:
    """One episode as the trainer sees it: token-exact, with the loss mask on sampled tokens only.

    Attributes:
        prompt_id: Which prompt (task) this trajectory answers; trajectories of one group share it.
        token_ids: Every token of the conversation, prompt included.
        loss_mask: 1 where the token was sampled from the policy, 0 where it came from the env or prompt.
        old_logprobs: Log-probabilities of ``token_ids`` under the sampling policy (0 where mask is 0).
        prompt_len: Number of leading prompt tokens.
        reward: Scalar episode reward (``terms.total``).
        terms: The reward's named terms.
        end_reason: How the episode ended.
        tool_calls: Tool calls that ran without error.
        tool_errors: Tool calls that failed.
        images_returned: Images that tools returned to the policy.
        images: All images in the conversation (inputs, then tool figures), in order.
        info: The final ``info`` dict of the episode (what the environment reported, nothing added).
        seed: The episode seed (``reset(seed=...)``).
        turns: Policy turns sampled (the last one included when the token budget cut the episode).
        answer: The answer the policy gave (``info["answer_given"]``), None when it gave none.
        task: The task played (its id, family and expected answer); None when the environment did not say.
        spans: ``[start, end)`` positions in ``token_ids`` of each sampled turn.
        finish_reasons: Why each turn's generation stopped (``stop``, ``length``, ``eos``...), one per span.
        ended_by_engine: The rollout engine's exact token budget, not the environment, ended the episode.
        vision_inputs: What a vision-language model's forward needs besides the ids (the image processor's
            ``pixel_values`` and ``image_grid_thw`` for every image, in order); empty for text-only policies.
        weight_version: The version of the weights that sampled it (a served policy counts its weight pushes);
            the trainer refuses one older than its policy by more than ``rollout.max_weight_lag``.
    """

    prompt_id: str
    token_ids: tuple[int, ...]
    loss_mask: tuple[int, ...]
    old_logprobs: tuple[float, ...]
    prompt_len: int
    reward: float
    terms: RewardTerms
    end_reason: EndReason
    tool_calls: int = 0
    tool_errors: int = 0
    images_returned: int = 0
    images: tuple[Image.Image, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    turns: int = 0
    answer: str | None = None
    task: Task | None = None
    spans: tuple[tuple[int, int], ...] = ()
    finish_reasons: tuple[str, ...] = ()
    ended_by_engine: bool = False
    vision_inputs: Mapping[str, Any] = field(default_factory=dict)
    weight_version: int = 0

    @property
    def correct(self) -> bool:
        """Whether the final answer was graded correct."""
        return self.terms.accuracy >= 1.0

    @property
    def response_len(self) -> int:
        """Tokens the policy generated (the loss-mask count)."""
        return int(sum(self.loss_mask))


@dataclass(frozen=True)
class RolloutGroup:
    """The G trajectories of one prompt, with the group's reward statistics."""

    prompt_id: str
    trajectories: tuple[Trajectory, ...]

    @property
    def rewards(self) -> tuple[float, ...]:
        """Rewards of the group's trajectories, in order."""
        return tuple(t.reward for t in self.trajectories)

    @property
    def reward_std(self) -> float:
        """Population standard deviation of the group's rewards (0 for a single trajectory)."""
        rs = self.rewards
        if len(rs) < 2:
            return 0.0
        mean = sum(rs) / len(rs)
        return (sum((r - mean) ** 2 for r in rs) / len(rs)) ** 0.5
