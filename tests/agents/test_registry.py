import pytest

from agents.base import Agent, agent_names, make_agent


def test_builtin_agents_are_found_without_importing_their_modules_first():
    names = agent_names()
    for name in ("expert", "guesser", "video-expert", "hf", "http"):
        assert name in names
    agent = make_agent("guesser")
    assert isinstance(agent, Agent)


def test_unknown_agent_suggests_a_name():
    with pytest.raises(KeyError, match="Did you mean 'expert'"):
        make_agent("expret")


def test_expert_delegates_video_families_and_they_register_lazily():
    from agents._solvers import solver_code
    from pyvision_envs.tasks import get_family

    task = get_family("video_timing", "easy").generate(0)
    code = solver_code("video_timing", task.public)
    assert code is not None and "video_clue_0" in code


def test_plugin_agent_is_found_through_its_entry_point():
    assert "short-expert" in agent_names()  # declared in pyproject.toml, not registered by an import
    agent = make_agent("short-expert", seed=1)
    assert type(agent).__module__ == "trainers.short_expert" and isinstance(agent, Agent)
