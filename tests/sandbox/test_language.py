"""The language layer is generous where models need it (classes, harmless dunders, match, nonlocal, annotated
and augmented assignment) and every refusal says what to use instead. Escapes through the new paths: test_escapes.
"""

import pytest
from PIL import Image

from pyvision_envs.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(images=[Image.new("RGB", (12, 8), (1, 2, 3))], timeout_s=10) as sandbox:
        yield sandbox


def ok(sb, code):
    r = sb.run(code)
    assert r.error is None, r.error
    return r.stdout


@pytest.mark.parametrize("code, expected", [
    ("class Box:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n    def __repr__(self):\n"
     "        return f'Box({self.x}, {self.y})'\n    def __eq__(self, o):\n        return self.x == o.x\n"
     "print(Box(1, 2), Box(1, 2) == Box(1, 5), Box(1, 2).__class__.__name__)", "Box(1, 2) True Box\n"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    print(type(e).__name__, e.__class__.__name__)",
     "ZeroDivisionError ZeroDivisionError\n"),
    ("class Err(ValueError):\n    def __init__(self, m):\n        super().__init__(m)\n        self.m = m\n"
     "try:\n    raise Err('bad box')\nexcept ValueError as e:\n    print(type(e).__qualname__, e.m, str(e))",
     "Err bad box bad box\n"),
    ("class A:\n    def __init__(self, v):\n        self.v = v\nclass B(A):\n    def __init__(self):\n"
     "        A.__init__(self, 4)\n        self.w = 1\nb = B()\nprint(b.v, b.__dict__)", "4 {'v': 4, 'w': 1}\n"),
    ("class K:\n    n = 0\n    __slots__ = ('m',)\n    def __init__(self):\n        K.n += 1\n        self.m = 1\n"
     "        self.m += 2\nK()\nprint(K.n, K().m, K.n)", "1 3 2\n"),
    ("a = np.zeros((3, 3))\na[1:, 0] += 5\nd = {'x': 1}\nd['x'] *= 3\nprint(a.sum(), d)", "10.0 {'x': 3}\n"),
    ("class Seq:\n    def __len__(self):\n        return 3\n    def __getitem__(self, i):\n        return i * 2\n"
     "    def __iter__(self):\n        return iter([0, 2, 4])\n    def __enter__(self):\n        return self\n"
     "    def __exit__(self, *a):\n        return False\nwith Seq() as s:\n    print(len(s), s[2], list(s), [1].__len__())",
     "3 4 [0, 2, 4] 1\n"),
    ("x: int = 5\ny: list[int]\nprint(x)", "5\n"),
    ("def mk():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc\n"
     "i = mk()\ni()\nprint(i())", "2\n"),
    ("def f(v):\n    match v:\n        case [a, b]:\n            return a + b\n        case {'k': k, **rest}:\n"
     "            return k\n        case int(n) if n > 3:\n            return 'big'\n        case _:\n            return None\n"
     "print(f([1, 2]), f({'k': 9}), f(7), f('z'))", "3 9 big None\n"),
    ("def main():\n    print('ran')\nif __name__ == '__main__':\n    main()", "ran\n"),
    ("print(len.__doc__.split('(')[0][:6], np.__name__, type(np.__version__).__name__)", "Return numpy str\n"),
    ("print(hasattr([1], '__iter__'), hasattr(3, '__iter__'), getattr(np.zeros(2), '__name__', 'array'), "
     "getattr(len, '__globals__', None))", "True False array None\n"),
    ("from typing import TypedDict\nclass Box(TypedDict, total=False):\n    x: int\n    y: int\nprint(Box(x=1))",
     "{'x': 1}\n"),
    ("import enum\nclass Color(enum.Enum):\n    RED = 1\n    def label(self):\n        return self.name.lower()\n"
     "print(Color.RED.label(), Color(1) is Color.RED)", "red True\n"),
    ("from collections import namedtuple\nP = namedtuple('P', 'x y')\np = P(1, 2)._replace(y=5)\n"
     "print(p._asdict(), P._fields)", "{'x': 1, 'y': 5} ('x', 'y')\n"),
])
def test_everyday_python_runs(sb, code, expected):
    assert ok(sb, code) == expected


@pytest.mark.parametrize("code, hint", [
    ("print(().__class__.__base__)", "isinstance()/issubclass()"),
    ("def f(): pass\nprint(f.__globals__)", "arguments and return values"),
    ("x = 1\nx._private", "without the leading underscore"),
    ("_tmp = 3", 'rename it (e.g. "tmp")'),
    ("class A:\n    def __getattribute__(self, n):\n        return 1", "special methods may be defined in a class body"),
    ("def __init__(self): pass", "special methods may be defined in a class body"),
    ("async def f():\n    pass", "use a plain def"),
    ("print(image_clue_0.__init__)", "only available on classes you define"),
    ("print(image_clue_0.__dict__)", "only available on classes you define"),
    ("print('{0.__class__}'.format(1))", "use a plain field"),
    ("class I(type(image_clue_0)):\n    pass", "keep the library object as an attribute"),
    ("t = (1, 2)\nt[0] += 1", "modify a copy"),
    ("image_clue_0.info += 1", "modify a copy"),
])
def test_refusals_name_what_to_use_instead(sb, code, hint):
    r = sb.run(code)
    assert r.error is not None and hint in r.error, r.error


def test_unbound_special_methods_only_take_the_agents_own_objects(sb):
    r = sb.run("class A:\n    def __init__(self, v):\n        self.v = v\nA.__init__(image_clue_0, 3)")
    assert "needs an instance of A" in r.error


def test_super_reaches_only_the_agents_classes(sb):
    r = sb.run("s = super(type(image_clue_0), image_clue_0)\nprint(s.__init__)")
    assert "only available on classes you define" in r.error


@pytest.mark.parametrize("code, hint", [
    ("eval('1')", "compute the value directly"),
    ("from math import *", "import the names you use"),
    ("np.save('a', np.zeros(2))", "save into an io.BytesIO"),
    ("np.zeros(2).tofile('a')", "save into an io.BytesIO"),
    ("np.load('a.npy')", "image_clue_0"),
    ("import math\nmath.nothing", "dir(math) lists what it offers"),
    ("import pickle", "available: PIL"),
])
def test_library_refusals_name_what_to_use_instead(sb, code, hint):
    r = sb.run(code)
    assert r.error is not None and hint in r.error, r.error
