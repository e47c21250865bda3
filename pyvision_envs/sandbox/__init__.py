"""Restricted-Python execution of untrusted, model-written code, isolated in confined worker processes.

Two independent layers: RestrictedPython with our own guards and capability-safe module facades
(``guards``, ``facades``), and OS confinement of the worker (``isolation``: chroot, dropped user, rlimits,
seccomp, empty network namespace). Workers come pre-forked from a warm fork server (``forkserver``).
This package knows nothing of environments or rewards.
"""

from pyvision_envs.sandbox.host import Sandbox, SandboxError
from pyvision_envs.types import ExecutionResult

__all__ = ["ExecutionResult", "Sandbox", "SandboxError"]
