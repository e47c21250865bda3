"""Run configuration: one dataclass per entry point, composed of settings sections, read from YAML + overrides.

Every field is documented once, in the attribute docstring under it (``field_docs`` reads them back for ``--help``,
with nested sections dotted: ``batch.max_rounds``). Values are checked where they are declared: ``GRPOConfig``
holds ``batch: OFRSettings`` (oversample-filter-rank), ``rollout: RolloutSettings`` (generation) and
``loss: LossSettings`` (the clipped objective) and ``monitor: MonitorSettings`` (the interaction-collapse
warning), each validated once by its own class; a bad value raises
``ConfigError`` naming the field and saying what to change. ``load_config("run.yaml", ["lr=1e-5",
"batch.max_rounds=3", "env_kwargs.difficulty=3"])`` applies the overrides with the one override parser
(``trainers.settings.apply_override``): a dotted key reaches into a section or a mapping field, an unknown key gets
a "did you mean", and the flat keys of earlier versions (``max_rounds``, ``clip_low``, ``max_context_tokens`` ...)
still work, each with a ``DeprecationWarning`` naming its new place.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from trainers.grpo.loss import LossSettings
from trainers.grpo.ofr import OFRSettings
from trainers.lora import LoRASettings
from trainers.monitor import MonitorSettings
from trainers.rollout import RolloutSettings
from trainers.schedules import LR_SCHEDULES
from trainers.settings import ConfigError, Settings, apply_override, build, field_docs

__all__ = ["ConfigError", "GRPOConfig", "RunConfig", "SFTConfig", "field_docs", "load_config", "save_config"]

C = TypeVar("C", bound="RunConfig")


@dataclass
class RunConfig(Settings):
    """Fields shared by every training entry point."""

    model: str = "tiny"
    """Policy: a preset name (``tiny``, ``smollm2-135m``) or a local model directory / hub id."""
    env_id: str = "PyVision/VisualSearch-v0"
    """Registered Gymnasium id of the environment to train and evaluate on (``pyvision-rl list`` shows them)."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for ``gym.make(env_id, **env_kwargs)``; override one with ``env_kwargs.NAME=VALUE``."""
    seed: int = 0
    """Seed for Python, NumPy and torch, and the first training episode seed."""
    output_dir: str = "runs/grpo"
    """Directory for checkpoints, ``metrics.jsonl``, TensorBoard events, plots and the resolved config."""
    lr: float = 1e-6
    """Learning rate (AdamW); its course over the run is ``lr_schedule``."""
    lr_schedule: str = "constant"
    """After warm-up: ``constant`` (the paper's RL recipe), ``linear`` or ``cosine`` decay to 0 at the last step."""
    warmup_steps: int = 0
    """Optimizer steps of linear learning-rate warm-up from 0."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip before each optimizer step; 0 turns clipping off."""
    steps: int = 100
    """Training steps (one optimizer update each, per mini-batch)."""
    grad_accum: int = 1
    """Micro-batches per optimizer step: each (mini-)batch is split into this many forward/backward passes."""
    micro_batch_tokens: int = 0
    """Cut micro-batches by padded size instead (replaces ``grad_accum``; 0: off): rows sorted by length, each
    micro-batch at most this many tokens (rows x its longest row; a longer row goes alone). Short rows then stop
    paying for a long row's padding. The gradient is the same: the loss is over the whole batch's tokens."""
    freeze_vision: bool = True
    """Keep the vision tower's weights fixed (the paper's recipe); no effect on text-only models."""
    lora: LoRASettings = field(default_factory=LoRASettings)
    """Low-rank adapters instead of a full fine-tune (``lora.r=16``; off by default); merged into the weights
    when the policy is saved, so the saved model loads without ``peft``."""
    bf16: bool = False
    """Run the policy in bfloat16 autocast on GPU; CPU runs always use float32."""
    max_turns: int = 5
    """Model turns per episode (the paper: 4 tool calls + the answer = 5 in training)."""
    save_every: int = 50
    """Write a checkpoint every this many steps (and at the end); 0 saves only at the end."""
    keep_checkpoints: int = 2
    """How many most recent checkpoints to keep on disk."""
    log_every: int = 1
    """Log metrics every this many steps."""
    eval_episodes: int = 64
    """Held-out episodes for the final evaluation (0 skips it)."""
    eval_seed: int = 1_000_000
    """Seed of the first held-out episode; training episodes are drawn from seeds below it."""
    resume: bool = False
    """Continue from the latest checkpoint in ``output_dir`` (exactly: weights, optimizer, RNG, data position)."""
    progress: bool = True
    """Show a progress bar."""

    _MIN_STEPS: typing.ClassVar[int] = 1

    def validate(self) -> None:
        """Shared checks: step counts, learning rate and schedule, non-empty names."""
        if self.steps < self._MIN_STEPS:
            self._fail("steps", f"must be >= {self._MIN_STEPS}")
        self._positive("grad_accum", "keep_checkpoints", "log_every", "max_turns")
        self._non_negative("warmup_steps", "weight_decay", "max_grad_norm", "save_every", "eval_episodes",
                           "micro_batch_tokens")
        if self.micro_batch_tokens and self.grad_accum != 1:
            self._fail("grad_accum", f"and micro_batch_tokens={self.micro_batch_tokens} both cut micro-batches; "
                       "keep one (grad_accum=1 lets micro_batch_tokens decide)")
        if self.lr <= 0:
            self._fail("lr", "must be > 0 (the paper uses 1e-6 for RL)")
        if self.lr_schedule not in LR_SCHEDULES:
            self._fail("lr_schedule", f"must be one of {LR_SCHEDULES}")
        for name in ("model", "env_id", "output_dir"):
            if not getattr(self, name).strip():
                self._fail(name, "is empty; set it (see the field's description with --help)")


_SECTION_KEYS = {
    "batch": ("group_size", "train_batch", "gen_batch", "mode", "max_rounds", "std_tol", "filter_zero_variance",
              "filter_broken", "filter_no_image", "normalize_std"),
    "rollout": ("max_new_tokens", "temperature"),
    "loss": ("clip_low", "clip_high", "dual_clip", "agg", "kl_coef"),
}


@dataclass
class GRPOConfig(RunConfig):
    """``pyvision-rl train``: GRPO with oversample-filter-rank (defaults are the paper's recipe, SPEC section 4)."""

    batch: OFRSettings = field(default_factory=OFRSettings)
    """How each training batch is assembled: G rollouts per prompt, oversample-filter-rank (``batch.*``)."""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    """How rollouts are generated: per-turn and per-trajectory token limits, temperature (``rollout.*``)."""
    loss: LossSettings = field(default_factory=LossSettings)
    """The clipped policy objective: clip ranges, dual clip, aggregation, KL weight (``loss.*``)."""
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    """The interaction-collapse warning: window and drop fraction of tool calls per episode (``monitor.*``)."""
    epochs: int = 1
    """Passes over each batch (PPO epochs); 1 in the paper, so the update is on-policy."""
    mini_batches: int = 1
    """Optimizer steps per pass over a batch (the batch is split into this many mini-batches)."""

    ALIASES: typing.ClassVar[dict[str, str | None]] = {
        **{key: f"{section}.{key}" for section, keys in _SECTION_KEYS.items() for key in keys},
        "tool_reward": "batch.train_on_tool_reward",
        "max_context_tokens": "rollout.max_trajectory_tokens",
    }

    def validate(self) -> None:
        """GRPO's own rules on top of the sections' (which validated themselves)."""
        super().validate()
        self._positive("epochs", "mini_batches")
        if self.batch.group_size < 2:
            raise ConfigError(f"GRPOConfig.batch.group_size={self.batch.group_size}: GRPO needs at least 2 rollouts "
                              "per prompt to compare them; set batch.group_size >= 2 (the paper uses 8)")
        if self.rollout.temperature <= 0:
            raise ConfigError(f"GRPOConfig.rollout.temperature={self.rollout.temperature}: must be > 0 to sample "
                              "a group that can differ; use a small value such as 0.01 for near-greedy sampling")
        if self.mini_batches > self.batch.target:
            self._fail("mini_batches", f"exceeds the {self.batch.target} trajectories of a batch; lower it")
        if self.lora.r and self.rollout.engine != "hf":
            raise ConfigError(f"GRPOConfig.lora.r={self.lora.r} with rollout.engine={self.rollout.engine!r}: the "
                              "served engine pushes full weights, not adapters; use rollout.engine=hf with LoRA, "
                              "or lora.r=0 with the served engine")


@dataclass
class SFTConfig(RunConfig):
    """``pyvision-rl sft``: supervised cold start on expert trajectories (loss on assistant tokens only)."""

    output_dir: str = "runs/sft"
    """Directory for checkpoints, ``metrics.jsonl``, TensorBoard events, plots and the resolved config."""
    lr: float = 1e-5
    """Learning rate (AdamW); its course over the run is ``lr_schedule``."""
    steps: int = 0
    """Optimizer steps; 0 runs ``epochs`` full passes over the data instead."""
    data_path: str | None = None
    """JSONL of expert trajectories (``pyvision-rl record``); none records ``record_episodes`` from env_id first."""
    record_episodes: int = 256
    """Expert episodes to record when data_path is none."""
    expert_agent: str = "expert"
    """Agent that records the expert trajectories when data_path is none."""
    batch_size: int = 8
    """Conversations per optimizer step (split into ``grad_accum`` micro-batches)."""
    epochs: int = 2
    """Passes over the data when steps is 0."""
    max_seq_tokens: int = 4096
    """Conversations longer than this are truncated (from the end) before training."""
    balance_by: str = ""
    """A record field (``agent``): every batch takes ``batch_size / k`` conversations from each of the field's
    ``k`` values, so a habit learned from a mix (look, or guess) settles at the mix instead of following which
    conversations each batch happened to draw; empty: one shuffle over all of them."""

    _MIN_STEPS: typing.ClassVar[int] = 0  # 0 means "run `epochs` passes"
    # Generation settings that SFT never used (they were shared fields before the GRPO sections existed).
    ALIASES: typing.ClassVar[dict[str, str | None]] = dict.fromkeys(
        ("max_new_tokens", "max_context_tokens", "temperature"))

    def validate(self) -> None:
        """SFT's checks on top of the shared ones."""
        super().validate()
        self._positive("record_episodes", "batch_size", "epochs", "max_seq_tokens")
        if self.batch_size % self.grad_accum:
            self._fail("grad_accum", f"must divide batch_size={self.batch_size}; pick a divisor")
        if self.data_path is not None and not self.data_path.strip():
            self._fail("data_path", "is empty; give a JSONL path or none to record expert episodes")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file; a missing file, bad YAML or another top level raises ConfigError."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist; give the path of a YAML file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{p}:{at} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of key: value, got {type(data).__name__}")
    return data


def load_config(path: str | Path | None, overrides: list[str] | tuple[str, ...] = (),
                cls: type[C] = GRPOConfig) -> C:  # type: ignore[assignment]
    """Build a config from a YAML file (or defaults when ``path`` is None) and ``key=value`` overrides.

    Args:
        path: YAML file whose top-level keys are field names (sections nested); None starts from the defaults.
        overrides: ``key=value`` strings applied after the file (``trainers.settings.apply_override``), typed by
            the field's annotation (``none`` for optional fields, ``true``/``false`` for flags);
            ``batch.max_rounds=3`` sets a section's field, ``env_kwargs.NAME=VALUE`` one entry of a mapping.
        cls: The config class (``GRPOConfig`` or ``SFTConfig``).

    Returns:
        The validated config.

    Raises:
        ConfigError: Missing or malformed file, unknown key (with a "did you mean"), wrong type or a value that
            fails validation; the message names the file or override and the field.
    """
    where = str(path) if path is not None else "defaults"
    values = read_yaml(path) if path is not None else {}
    for item in overrides:
        apply_override(values, item, cls)
    return build(cls, values, f"{where} with overrides {list(overrides)}" if overrides else where)


def save_config(cfg: RunConfig, path: str | Path) -> Path:
    """Write the resolved config as YAML (so a run records exactly what it ran with); returns the path."""
    import yaml

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False), encoding="utf-8")
    return p
