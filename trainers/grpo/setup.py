"""Device and model setup for the GRPO trainer: the ``Accelerator``, and freezing the vision tower."""

from __future__ import annotations

from typing import Any

import torch


def freeze_vision_tower(model: Any) -> int:
    """Stop gradients to the vision tower (parameters named ``visual``); returns how many were frozen."""
    frozen = 0
    for name, p in model.named_parameters():
        if ".visual." in f".{name}":
            p.requires_grad_(False)
            frozen += 1
    return frozen


def make_accelerator(bf16: bool, find_unused: bool = False) -> Any:
    """An ``Accelerator`` on CUDA when there is one (bf16 autocast if asked), else on CPU in float32.

    ``find_unused``: let DDP tolerate parameters without a gradient in a step (a trainable vision tower on a
    text-only batch).
    """
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    cuda = torch.cuda.is_available()
    handlers = [DistributedDataParallelKwargs(find_unused_parameters=find_unused)] if find_unused else []
    return Accelerator(cpu=not cuda, mixed_precision="bf16" if bf16 and cuda else "no", kwargs_handlers=handlers)
