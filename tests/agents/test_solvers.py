"""Solvers are real Python: linted in the tree, callable directly, and shipped to the sandbox as clean source."""

import inspect
import subprocess
import sys

import pytest

from agents import solvers
from agents.solvers import image, program, solver_code
from pyvision_envs import catalog
from pyvision_envs.rewards import grade
from pyvision_envs.tasks import get_family

SANDBOX_NAMES = ["image_clue_0", "video_clue_0", "show", "Image"]
ROWS = [pytest.param(f, id=f.name) for f in catalog.FAMILIES]


def lint(source):
    """Ruff's undefined-name and syntax check of shipped code, with the names the sandbox binds."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F821", "--output-format", "concise",
         "--config", f"builtins={SANDBOX_NAMES}", "--stdin-filename", "shipped.py", "-"],
        input=source, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("family", ROWS)
def test_shipped_code_is_clean_python_with_only_sandbox_names(family):
    task = get_family(family.name, "hard").generate(1)
    code = solver_code(family.name, task.public)
    assert code is not None and code.rstrip().splitlines()[-1].startswith('print("ANSWER:", ')
    out = lint(code)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_lint_catches_a_module_constant_a_solver_would_leave_behind():
    out = lint(program(image.counting, {"target_color": [1, 2, 3], "target_shape": "circle"}) + "print(LEVELS)\n")
    assert out.returncode == 1 and "LEVELS" in out.stdout


@pytest.mark.parametrize("name", ["visual_search", "counting", "chart", "measurement", "spatial", "maze"])
def test_image_solvers_are_plain_functions_that_solve_outside_the_sandbox(name):
    solver = catalog.load(catalog.family(name).solver)
    params = list(inspect.signature(solver).parameters)[1:]
    for seed in range(3):
        task = get_family(name, "easy").generate(seed)
        facts = {p: task.public[p] for p in params if p in task.public}
        assert grade(task, str(solver(task.images[0], **facts))) == 1.0, (task.id, facts)


def test_helpers_ship_dependencies_first_and_nothing_unused():
    shipped = [f.__name__ for f in solvers.helpers(image.counting)]
    assert shipped[-1] == "counting" and "zoom" not in shipped and "show" not in shipped
    assert shipped.index("key") < shipped.index("find") and {"pixels", "components", "classify"} <= set(shipped)


def test_missing_facts_give_no_code_so_the_expert_guesses():
    with pytest.raises(KeyError, match="target_shape"):
        program(image.counting, {"target_color": [1, 2, 3]})
    assert solver_code("counting", {"target_color": [1, 2, 3]}) is None
    assert solver_code("video_counting", {}) is None
    assert solver_code("vsibench", {"choices": ["a"]}) is None  # real data: no solver
