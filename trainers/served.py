"""Served rollouts' settings (``rollout.server.*``) and the one place that turns rollout settings into a policy.

``rollout.engine=hf`` samples in this process (:class:`agents.hf_policy.HFPolicy`); ``rollout.engine=vllm`` on a
vLLM server (:class:`agents.served_policy.ServedPolicy`): a running one when ``rollout.server.url`` is set (this
process's weights are pushed to it first, so it must serve the same architecture and tokenizer and be able to read
``weights_dir``), else one launched from ``rollout.server.python`` (``make vllm`` builds ``.venv-vllm``) and
stopped again by ``close``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.hf_policy import HFPolicy
from agents.presets import PolicyBundle
from agents.served_policy import ServedPolicy
from agents.vllm_server import DEFAULT_PYTHON, VLLMServer
from pyvision_envs.types import Trajectory
from trainers.settings import Settings

ENGINES = ("hf", "vllm")


@dataclass(frozen=True)
class ServerSettings(Settings):
    """The vLLM server of ``rollout.engine=vllm`` (``rollout.server.*``)."""

    url: str = ""
    """A running server (``http://127.0.0.1:8000``); empty: launch one for the run and stop it at the end."""
    python: str = DEFAULT_PYTHON
    """Python of the server's venv (``make vllm`` builds ``.venv-vllm``), for a launched server."""
    log_file: str = ""
    """Log of a launched server; empty: ``vllm-server.log`` in the run's output folder (or the working folder)."""
    startup_timeout_s: float = 300.0
    """Seconds a launched server may take to become healthy (30-120 s on a 2-core CPU)."""
    request_timeout_s: float = 600.0
    """Limit of each HTTP request (one turn of one episode, or one weight reload): a hung server fails by then."""
    concurrency: int = 64
    """Requests in flight at once: the episodes of a batch go together, so the server batches them."""
    dtype: str = "float32"
    """Server dtype; float32 matches the trainer's log-probs within 1e-4 (bf16 differs by up to 0.2)."""
    kv_cache_gib: int = 2
    """KV-cache space of a CPU server in GiB (``VLLM_CPU_KVCACHE_SPACE``)."""
    cpu_threads: str = "0-1"
    """Cores a CPU server binds its threads to (``VLLM_CPU_OMP_THREADS_BIND``)."""
    max_model_len: int = 8192
    """Longest sequence the launched server accepts; keep it >= ``rollout.max_trajectory_tokens``."""
    weights_dir: str = ""
    """Folder weights are pushed through (the server reads it); empty: a new folder in ``/dev/shm``."""

    def validate(self) -> None:
        """Positive limits; a URL must be http(s)."""
        self._positive("concurrency", "kv_cache_gib", "max_model_len")
        if self.startup_timeout_s <= 0 or self.request_timeout_s <= 0:
            self._fail("request_timeout_s" if self.request_timeout_s <= 0 else "startup_timeout_s", "must be > 0")
        if self.url and not self.url.startswith(("http://", "https://")):
            self._fail("url", "must start with http:// or https:// (or be empty to launch a server)")


def rollout_policy(bundle: PolicyBundle, settings: Any, *, system_prompt: str | None = None,
                   log_dir: str | Path | None = None) -> HFPolicy:
    """The policy that samples rollouts under ``settings`` (a ``RolloutSettings``); close it with :func:`close_policy`.

    Raises:
        agents.vllm_server.ServerError: The server is absent, cannot start, or refuses the weights.
    """
    common = dict(temperature=settings.temperature, max_new_tokens=settings.max_new_tokens,
                  system_prompt=system_prompt)
    if settings.engine == "hf":
        return HFPolicy(bundle, **common)
    s: ServerSettings = settings.server
    extra: dict[str, Any] = dict(concurrency=s.concurrency, weights_dir=s.weights_dir or None, **common)
    if s.url:
        policy = ServedPolicy(bundle, VLLMServer(s.url, timeout_s=s.request_timeout_s), **extra)
        try:
            policy.push_weights()  # the running server may hold other weights of the same model
        except BaseException:
            policy.close()
            raise
        return policy
    log = Path(s.log_file) if s.log_file else Path(log_dir or ".") / "vllm-server.log"
    return ServedPolicy.launch(bundle, server_kwargs=dict(
        python=s.python, log_file=log, startup_timeout_s=s.startup_timeout_s, dtype=s.dtype,
        kv_cache_gib=s.kv_cache_gib, cpu_threads=s.cpu_threads, max_model_len=s.max_model_len,
        timeout_s=s.request_timeout_s), **extra)


def close_policy(policy: HFPolicy) -> None:
    """Release what :func:`rollout_policy` started (a served policy's threads, weights and launched server)."""
    if isinstance(policy, ServedPolicy):
        policy.close()


class StaleWeightsError(RuntimeError):
    """A trajectory was sampled by weights older than the configured lag allows."""


def check_weight_lag(trajectories: Iterable[Trajectory], current: int, max_lag: int) -> None:
    """Refuse trajectories sampled more than ``max_lag`` weight versions before ``current``."""
    stale = [t for t in trajectories if current - t.weight_version > max_lag]
    if stale:
        oldest = min(t.weight_version for t in stale)
        raise StaleWeightsError(
            f"{len(stale)} trajectories (first {stale[0].prompt_id!r}) were sampled with weight version {oldest}, "
            f"but the policy is at version {current} and rollout.max_weight_lag={max_lag}: the sampler missed a "
            "weight push; raise rollout.max_weight_lag to train off-policy on purpose")
