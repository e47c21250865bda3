"""Every catalog row: its entry points resolve, its ids exist, and its solver solves a generated task."""

import subprocess
import sys

import gymnasium as gym
import pytest

import pyvision_envs  # noqa: F401  (registers the ids)
from agents.experts import ExpertAgent
from pyvision_envs import catalog
from pyvision_envs.tasks import base, family_names, get_family, register_family
from pyvision_envs.tasks.base import TaskFamily

ROWS = [pytest.param(f, id=f.name) for f in catalog.FAMILIES]


def test_rows_are_unique_and_well_formed():
    for key in ("name", "stem", "generator", "solver"):
        values = [getattr(f, key) for f in catalog.FAMILIES]
        assert len(set(values)) == len(values), key
    assert {f.modality for f in catalog.FAMILIES} == set(catalog.MODALITIES) == set(catalog.FAMILY_ENVS)
    assert all(f.description and "\n" not in f.description for f in catalog.FAMILIES)


@pytest.mark.parametrize("family", ROWS)
def test_entry_points_resolve_to_what_the_row_says(family):
    cls = catalog.load(family.generator)
    assert issubclass(cls, TaskFamily) and cls.name == family.name and cls.modality == family.modality
    assert callable(catalog.load(family.solver))
    assert type(get_family(family.name, "easy")) is cls


@pytest.mark.parametrize("family", ROWS)
def test_the_expert_solves_a_generated_task_through_the_registered_id(family):
    env = gym.make(f"PyVision/{family.stem}-Easy-v0", timeout_s=30.0)
    agent = ExpertAgent()
    try:
        obs, info = env.reset(options={"index": 0})
        assert info["task"].family == family.name
        agent.reset(obs, info)
        for _ in range(3):
            obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
            if terminated or truncated:
                break
        assert info["correct"] and info["tool_calls"] == 1, info["answer_given"]
    finally:
        env.close()


def test_bad_entry_points_and_names_are_explained():
    with pytest.raises(ValueError, match="package.module:attribute"):
        catalog.load("pyvision_envs.tasks.counting")
    with pytest.raises(KeyError, match="Did you mean 'counting'"):
        get_family("countin")


def test_a_plugin_family_joins_without_a_catalog_row(monkeypatch):
    monkeypatch.setattr(base, "_PLUGINS", {})  # leave no plug-in behind for other tests

    @register_family
    class Constant(TaskFamily):
        name = "unit_constant"

        def generate(self, seed):
            raise NotImplementedError

        @property
        def chance_accuracy(self):
            return 1.0

    assert type(get_family("unit_constant", "hard")) is Constant and "unit_constant" in family_names()
    with pytest.raises(ValueError, match="already registered"):
        register_family(type("Counting", (Constant,), {"name": "counting"}))


def test_generators_load_lazily():
    probe = ("import sys; from pyvision_envs.tasks import get_family; "
             "assert 'pyvision_envs.tasks.counting' not in sys.modules; get_family('counting'); "
             "assert 'pyvision_envs.tasks.counting' in sys.modules and 'pyvision_envs.tasks.maze' not in sys.modules; "
             "assert not any(m.startswith('pyvision_envs.tasks.video.') for m in sys.modules); print('ok')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked}:
            raise ImportError(f"{{name}} is above this package")
sys.meta_path.insert(0, Block())
"""


@pytest.mark.parametrize("blocked, code", [
    (("agents", "trainers"), "import pyvision_envs, pyvision_envs.envs.image, pyvision_envs.envs.video\n"
                             "from pyvision_envs import catalog\nfrom pyvision_envs.tasks import get_family\n"
                             "[get_family(f.name) for f in catalog.FAMILIES]"),
    (("trainers",), "import agents.experts, agents.short_expert, agents.guesser\n"
                    "from agents.solvers import solver_code\nfrom pyvision_envs import catalog\n"
                    "[catalog.load(f.solver) for f in catalog.FAMILIES]"),
])
def test_imports_flow_down_only(blocked, code):
    # The catalog names solvers by string: the environments import nothing from agents/ or trainers/.
    out = subprocess.run([sys.executable, "-c", BLOCK.format(blocked=set(blocked)) + code + "\nprint('ok')"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
