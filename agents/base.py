"""The Agent protocol every policy implements, and the registry that finds built-in and plug-in agents."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from pyvision_envs.names import unknown_name
from pyvision_envs.types import Observation

ENTRY_POINT_GROUP = "pyvision_rl.agents"


@runtime_checkable
class Agent(Protocol):
    """A policy for PyVision environments: one call to ``act`` produces the text of one model turn.

    ``reset`` is called at the start of every episode with the first observation and the reset ``info``
    (which includes ``info["task_public"]``, the task's public facts, and ``info["family"]``).
    """

    def reset(self, observation: Observation, info: Mapping[str, Any]) -> None:
        """Start a new episode."""

    def act(self, observation: Observation, info: Mapping[str, Any]) -> str:
        """Return the next turn's text given the newest observation."""


AgentFactory = Callable[..., Agent]
_AGENTS: dict[str, AgentFactory] = {}
# Built-in agents by the module that registers them, imported on first use (the hf policy pulls in torch).
_BUILTIN_MODULES = {
    "expert": "agents.experts",
    "guesser": "agents.guesser",
    "video-expert": "agents.experts",
    "hf": "agents.hf_policy",
    "http": "agents.http_policy",
    "vllm": "agents.served_policy",
}


def register_agent(name: str, factory: AgentFactory) -> None:
    """Register a built-in agent factory under ``name``."""
    _AGENTS[name] = factory


def _plugins() -> dict[str, Any]:
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def agent_names() -> list[str]:
    """All agent names: built-in ones and plug-ins declared under the ``pyvision_rl.agents`` entry point."""
    return sorted(set(_AGENTS) | set(_BUILTIN_MODULES) | set(_plugins()))


def make_agent(name: str, **kwargs: Any) -> Agent:
    """Build an agent by name; plug-ins are loaded lazily from their entry point."""
    if name not in _AGENTS and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name in _AGENTS:
        return _AGENTS[name](**kwargs)
    plugins = _plugins()
    if name in plugins:
        return plugins[name].load()(**kwargs)
    raise KeyError(unknown_name("agent", name, agent_names()))
