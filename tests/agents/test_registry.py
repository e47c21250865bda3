import re
from importlib import metadata
from pathlib import Path

import pytest

from agents.base import ENTRY_POINT_GROUP, Agent, agent_names, make_agent
from agents.experts import ExpertAgent

ROOT = Path(__file__).resolve().parents[2]


def test_builtin_agents_are_found_without_importing_their_modules_first():
    names = agent_names()
    for name in ("expert", "guesser", "video-expert", "hf", "http"):
        assert name in names
    agent = make_agent("guesser")
    assert isinstance(agent, Agent)


def test_unknown_agent_suggests_a_name():
    with pytest.raises(KeyError, match="Did you mean 'expert'"):
        make_agent("expret")


def test_expert_writes_video_code_and_video_families_load_lazily():
    from agents.solvers import solver_code
    from pyvision_envs.tasks import get_family

    task = get_family("video_timing", "easy").generate(0)
    code = solver_code("video_timing", task.public)
    assert code is not None and "video_clue_0" in code


def declared_plugins():
    """``name = "module:attr"`` lines of pyproject.toml's agents entry-point table (tomllib needs 3.11)."""
    text = (ROOT / "pyproject.toml").read_text()
    table = text.split(f'[project.entry-points."{ENTRY_POINT_GROUP}"]', 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r'^([\w-]+) = "([^"]+)"', table, re.MULTILINE))


def test_plugin_agent_is_declared_as_an_entry_point_and_is_an_expert_variant():
    ep = metadata.EntryPoint("short-expert", declared_plugins()["short-expert"], ENTRY_POINT_GROUP)
    agent = ep.load()(seed=1)
    assert type(agent).__module__ == "agents.short_expert"
    assert isinstance(agent, ExpertAgent) and isinstance(agent, Agent)


def test_plugin_agent_is_found_through_its_installed_entry_point():
    assert "short-expert" in agent_names()  # declared in pyproject.toml, not registered by an import
    installed = {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    if installed["short-expert"] != declared_plugins()["short-expert"]:
        pytest.skip(f"installed metadata ({installed['short-expert']}) predates pyproject.toml: "
                    "run `.venv/bin/python -m pip install --no-deps -e .`")
    agent = make_agent("short-expert", seed=1)
    assert type(agent).__module__ == "agents.short_expert" and isinstance(agent, Agent)
