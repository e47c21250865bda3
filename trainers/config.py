"""Run configuration: one dataclass per entry point, read from YAML plus ``key=value`` overrides.

Every field is documented once, in the attribute docstring under it (``field_docs`` reads them back for ``--help``).
Values are checked in ``__post_init__``; a bad value raises ``ConfigError`` naming the field and saying what to
change. ``load_config("run.yaml", ["lr=1e-5", "env_kwargs.difficulty=3"])`` types each override by its field's
annotation; a dotted key reaches into a mapping field; an unknown key gets a "did you mean".
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pyvision_envs.names import unknown_name
from trainers.grpo.loss import AGG_MODES
from trainers.grpo.ofr import OFR_MODES, OFRSettings
from trainers.schedules import LR_SCHEDULES

C = TypeVar("C", bound="RunConfig")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ConfigError(ValueError):
    """A configuration value, key or file is wrong; the message says which and what to change."""


@dataclass
class RunConfig:
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
    freeze_vision: bool = True
    """Keep the vision tower's weights fixed (the paper's recipe); no effect on text-only models."""
    bf16: bool = False
    """Run the policy in bfloat16 autocast on GPU; CPU runs always use float32."""
    max_turns: int = 5
    """Model turns per episode (the paper: 4 tool calls + the answer = 5 in training)."""
    max_new_tokens: int = 512
    """Tokens the policy may generate in one turn."""
    max_context_tokens: int = 4096
    """Total context per episode; past it the episode ends as ``context_full``."""
    temperature: float = 1.0
    """Sampling temperature for rollouts (evaluation uses the same)."""
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

    def __post_init__(self) -> None:
        _check_types(self)
        if self.steps < self._MIN_STEPS:
            self._fail("steps", f"must be >= {self._MIN_STEPS}")
        self._positive("grad_accum", "keep_checkpoints", "log_every", "max_turns", "max_new_tokens")
        self._non_negative("warmup_steps", "weight_decay", "max_grad_norm", "save_every", "eval_episodes")
        if self.lr <= 0:
            self._fail("lr", "must be > 0 (the paper uses 1e-6 for RL)")
        if self.lr_schedule not in LR_SCHEDULES:
            self._fail("lr_schedule", f"must be one of {LR_SCHEDULES}")
        if self.temperature <= 0:
            self._fail("temperature", "must be > 0; use a small value such as 0.01 for near-greedy sampling")
        if self.max_context_tokens <= self.max_new_tokens:
            self._fail("max_context_tokens", f"must exceed max_new_tokens={self.max_new_tokens} so that at "
                       "least one full turn fits; raise it or lower max_new_tokens")
        for name in ("model", "env_id", "output_dir"):
            if not getattr(self, name).strip():
                self._fail(name, "is empty; set it (see the field's description with --help)")

    def _fail(self, name: str, problem: str) -> typing.NoReturn:
        raise ConfigError(f"{type(self).__name__}.{name}={getattr(self, name)!r}: {problem}")

    def _positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 1:
                self._fail(name, "must be >= 1")

    def _non_negative(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 0:
                self._fail(name, "must be >= 0")


@dataclass
class GRPOConfig(RunConfig):
    """``pyvision-rl train``: GRPO with oversample-filter-rank (defaults are the paper's recipe, SPEC section 4)."""

    group_size: int = 8
    """G: rollouts per prompt. At least 2, since the advantage is relative to the group."""
    train_batch: int = 16
    """Prompts per training batch: each update trains on ``train_batch * group_size`` trajectories."""
    gen_batch: int = 32
    """Prompts per generation round in ``ofr``/``filter`` mode. May be below train_batch (more rounds run)."""
    mode: str = "ofr"
    """Batching: ``ofr`` (oversample-filter-rank), ``filter`` (DAPO-style, no ranking), ``none`` (plain GRPO)."""
    max_rounds: int = 8
    """Cap on generation rounds per step; when hit, the step trains on the smaller pool (logged)."""
    std_tol: float = 1e-6
    """A group whose reward std is at most this counts as zero-variance."""
    filter_zero_variance: bool = True
    """Drop groups whose rewards are all equal (they carry no GRPO signal)."""
    filter_broken: bool = True
    """Drop trajectories that ended in a broken interaction (context full, too many images, format error)."""
    filter_no_image: bool = False
    """Drop trajectories that never got an image back from a tool (forces visual tool use)."""
    tool_reward: bool = True
    """Train on the accumulative tool reward term; False trains on accuracy (+ format) only (the ablation)."""
    normalize_std: bool = False
    """Divide advantages by the group's population std (the paper does not: it makes training fluctuate)."""
    clip_low: float = 0.2
    """PPO clip: the ratio is clamped below at ``1 - clip_low``."""
    clip_high: float = 0.2
    """PPO clip: the ratio is clamped above at ``1 + clip_high``."""
    dual_clip: float | None = 3.0
    """Dual clip c > 1: for negative advantages the loss is capped at ``-c * A``; ``none`` turns it off."""
    agg: str = "token-mean"
    """Loss aggregation: ``token-mean``, ``seq-mean-token-mean`` or ``seq-mean-token-sum``."""
    epochs: int = 1
    """Passes over each batch (PPO epochs); 1 in the paper, so the update is on-policy."""
    mini_batches: int = 1
    """Optimizer steps per pass over a batch (the batch is split into this many mini-batches)."""
    kl_coef: float = 0.0
    """Weight of the k3 KL penalty against the frozen initial policy; 0 (the paper) loads no reference model."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.group_size < 2:
            self._fail("group_size", "GRPO needs at least 2 rollouts per prompt to compare them; "
                       "set group_size >= 2 (the paper uses 8)")
        self._positive("train_batch", "gen_batch", "max_rounds", "epochs", "mini_batches")
        self._non_negative("std_tol", "kl_coef")
        if self.mode not in OFR_MODES:
            self._fail("mode", f"use one of {', '.join(OFR_MODES)}")
        if self.agg not in AGG_MODES:
            self._fail("agg", f"use one of {', '.join(AGG_MODES)}")
        if not 0.0 <= self.clip_low < 1.0:
            self._fail("clip_low", "must be in [0, 1)")
        if self.clip_high < 0:
            self._fail("clip_high", "must be >= 0")
        if self.dual_clip is not None and self.dual_clip <= 1.0:
            self._fail("dual_clip", "must be > 1 (the paper uses 3.0), or none to turn it off")
        if self.mode != "none" and self.max_rounds * self.gen_batch < self.train_batch:
            self._fail("max_rounds", f"max_rounds * gen_batch = {self.max_rounds * self.gen_batch} prompts can "
                       f"never fill train_batch={self.train_batch} prompts; raise max_rounds or gen_batch")
        if self.mini_batches > self.train_batch * self.group_size:
            self._fail("mini_batches", f"exceeds the {self.train_batch * self.group_size} trajectories "
                       "of a batch; lower it")

    def ofr_settings(self) -> OFRSettings:
        """The oversample-filter-rank settings this config describes."""
        names = [f.name for f in dataclasses.fields(OFRSettings)]
        return OFRSettings(**{n: getattr(self, n) for n in names})


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

    _MIN_STEPS: typing.ClassVar[int] = 0  # 0 means "run `epochs` passes"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("record_episodes", "batch_size", "epochs", "max_seq_tokens")
        if self.batch_size % self.grad_accum:
            self._fail("grad_accum", f"must divide batch_size={self.batch_size}; pick a divisor")
        if self.data_path is not None and not self.data_path.strip():
            self._fail("data_path", "is empty; give a JSONL path or none to record expert episodes")


def _resolved_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{name}={value!r}: expected true or false")


def _to_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        as_float = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        as_float = None
    if as_float is None or not as_float.is_integer():
        raise ConfigError(f"{name}={value!r}: expected a whole number")
    return int(as_float)


def _to_float(value: Any, name: str) -> float:
    try:
        if not isinstance(value, bool):
            return float(value)  # YAML reads "1e-6" (no dot) as a string; float() takes it
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{name}={value!r}: expected a number")


def _to_str(value: Any, name: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{name}={value!r}: expected a string")


def _to_dict(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, str):
        value = yaml.safe_load(value) if value.strip() else {}
    if isinstance(value, dict):
        return dict(value)
    raise ConfigError(f"{name}={value!r}: expected a mapping such as {{difficulty: 2}}")


_CONVERTERS = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str, dict: _to_dict}


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """Convert ``value`` (from YAML or a command-line string) to the annotated type, or raise ConfigError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "~")):
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(value, inner[0], name)
    convert = _CONVERTERS.get(origin or tp)
    return convert(value, name) if convert else value


def _check_types(cfg: RunConfig) -> None:
    """Coerce every field in place (ints to floats and so on); wrong types raise ConfigError."""
    for name, tp in _resolved_hints(type(cfg)).items():
        if name.startswith("_"):
            continue
        setattr(cfg, name, _coerce(getattr(cfg, name), tp, f"{type(cfg).__name__}.{name}"))


def field_docs(cls: type) -> dict[str, str]:
    """Map each dataclass field of ``cls`` to the attribute docstring written under it (subclass wins)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = tree.body[0].body  # type: ignore[attr-defined]
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[node.target.id] = inspect.cleandoc(nxt.value.value)
    return docs


def _unknown_key(cls: type, key: str, where: str) -> ConfigError:
    names = [f.name for f in dataclasses.fields(cls)]
    return ConfigError(f"{where}: {unknown_name(f'{cls.__name__} key', key, names)}")


def _apply_override(values: dict[str, Any], item: str, cls: type, hints: dict[str, Any]) -> None:
    """Apply one ``key=value`` (``a.b.c=value`` into mapping fields) to the raw values."""
    key, sep, raw = item.lstrip("-").partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"override {item!r} must look like key=value, for example lr=1e-6")
    top, *path = key.split(".")
    if top not in hints:
        raise _unknown_key(cls, top, f"override {item!r}")
    if not path:
        values[top] = _coerce(raw, hints[top], top)
        return
    if typing.get_origin(hints[top]) is not dict and hints[top] is not dict:
        raise ConfigError(f"override {item!r}: {top} is not a mapping, so {key!r} cannot reach into it; "
                          f"use {top}=VALUE")
    node = values.setdefault(top, {})
    if not isinstance(node, dict):
        raise ConfigError(f"override {item!r}: {top} is {node!r}, not a mapping")
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {item!r}: {part!r} already holds {node!r}, not a mapping")
    node[path[-1]] = yaml.safe_load(raw) if raw.strip() else ""


def _read_yaml(path: str | Path) -> dict[str, Any]:
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
        path: YAML file whose top-level keys are field names; None starts from the defaults.
        overrides: ``key=value`` strings applied after the file, typed by the field's annotation
            (``none`` for optional fields, ``true``/``false`` for flags); ``env_kwargs.NAME=VALUE`` sets one
            entry of a mapping field (the value is read as YAML).
        cls: The config class (``GRPOConfig`` or ``SFTConfig``).

    Returns:
        The validated config.

    Raises:
        ConfigError: Missing or malformed file, unknown key (with a "did you mean"), wrong type or a value that
            fails validation; the message names the file or override and the field.
    """
    hints = {f.name: _resolved_hints(cls)[f.name] for f in dataclasses.fields(cls)}
    where = str(path) if path is not None else "defaults"
    values = _read_yaml(path) if path is not None else {}
    for key in values:
        if key not in hints:
            raise _unknown_key(cls, str(key), where)
    for item in overrides:
        _apply_override(values, item, cls, hints)
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where} with overrides {list(overrides)}: {exc}" if overrides else f"{where}: {exc}") \
            from None


def save_config(cfg: RunConfig, path: str | Path) -> Path:
    """Write the resolved config as YAML (so a run records exactly what it ran with); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False), encoding="utf-8")
    return p
