"""Imports flow examples -> trainers -> agents -> pyvision_envs: each package imports with the higher ones blocked."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {blocked!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is above {package} in the import order")
sys.meta_path.insert(0, Block())
package = importlib.import_module({package!r})
for info in pkgutil.walk_packages(package.__path__, {package!r} + "."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print("ok")
"""


@pytest.mark.parametrize("package, blocked", [
    ("pyvision_envs", ("agents", "trainers", "examples")),
    ("agents", ("trainers", "examples")),
])
def test_package_imports_with_higher_packages_blocked(package, blocked):
    code = _CHILD.format(package=package, blocked=set(blocked))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def _imported_packages(path: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package, blocked", [
    ("pyvision_envs", {"agents", "trainers", "examples"}),
    ("agents", {"trainers", "examples"}),
])
def test_no_upward_import_even_inside_functions(package, blocked):
    """Lazy imports inside functions count too: the runtime check above cannot see them."""
    upward = {str(p.relative_to(ROOT)): sorted(_imported_packages(p) & blocked)
              for p in sorted((ROOT / package).rglob("*.py"))}
    assert {k: v for k, v in upward.items() if v} == {}
