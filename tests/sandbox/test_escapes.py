"""Escape attempts. Each runs twice: as agent code through the restricted compiler, and as plain Python in the
worker with the compiler bypassed. The first must be refused by layer 1; in both, the OS layer must keep every
canary untouched and the sandbox alive.

Canaries: a secret file every user may read and a marker path on the host, a secret environment variable of
the host, the host's input image, and module state seen by the next episode.
"""

import os
from pathlib import Path

import pytest

from pyvision_envs.sandbox import Sandbox

from .conftest import SECRET

F = "{file}"  # replaced with the canary file's path
M = "{marker}"  # replaced with a path that must never be created

ATTEMPTS = {
    # attribute walks to interpreter internals
    "subclasses_literal": "print(().__class__.__bases__[0].__subclasses__())",
    "subclasses_getattr": "c = getattr((), '__cl' + 'ass__')\nprint(getattr(c, '__subclasses__')())",
    "globals_of_function": "def f(): pass\nprint(f.__globals__)",
    "globals_via_getattr": "def f(): pass\nprint(getattr(f, '__glo' + 'bals__'))",
    "mro_walk": "print(type(1).mro())",
    "builtins_dict": "print(__builtins__)",
    "type_three_args": "X = type('X', (), {'a': 1})",
    "metaclass": "class M(object): pass\nclass A(metaclass=M): pass",
    "dunder_class_body": "class A:\n    __array_interface__ = {'data': (0, False)}",
    # format strings
    "format_attr": "print('{0.__class__.__mro__}'.format(()))",
    "format_unbound": "print(str.format('{0.__class__}', 1))",
    "format_map_attr": "print('{x.__class__}'.format_map({'x': 1}))",
    "format_nested_spec": "print('{0:{1.__class__}}'.format(1, 2))",
    "fstring_dunder": "x = 1\nprint(f'{x.__class__.__base__}')",
    # class machinery (issue 10: classes, harmless dunders and super() are allowed; nothing past them)
    "metaclass_through_kwargs": "def m(*a, **k): return 1\nclass A(**{'metaclass': m}): pass\nprint('ESCAPED', A)",
    "class_base_walk": "class A: pass\nprint(A.__class__.__base__.__subclasses__())",
    "class_subclasses_getattr": "class A: pass\nprint(getattr(A, '__subcl' + 'asses__')())",
    "class_mro_getattr": "class A: pass\nprint(getattr(A(), '__class__').mro())",
    "method_globals": "class A:\n    def f(self): pass\nprint(A().f.__func__.__globals__)",
    "method_globals_getattr": "class A:\n    def f(self): pass\nprint(getattr(getattr(A().f, '__fu' + 'nc__'), '__glo' + 'bals__'))",
    "class_builtins": "class A:\n    def f(self):\n        return __builtins__\nprint(A().f())",
    "init_globals": "class A:\n    def __init__(self): pass\nprint(A.__init__.__globals__)",
    "super_init_library_object": "s = super(type(image_clue_0), image_clue_0)\ns.__init__()\nprint(image_clue_0.fp)",
    "unbound_init_library_object": "class D(dict): pass\nD.__init__(plt.rcParams, {'lines.linewidth': 9})",
    "library_base_class": "class I(type(image_clue_0)): pass\ni = I()\ni.fp = 1\nprint('ESCAPED')",
    "type_of_type_three_args": "T = type(type(1))\nX = T('X', (), {'a': 1})\nprint('ESCAPED', X)",
    "class_of_class_three_args": "class A: pass\nT = A.__class__\nprint('ESCAPED', T('X', (), {}))",
    "array_interface_property": (
        "class A:\n    @property\n    def __array_interface__(self):\n"
        "        return {'shape': (8,), 'typestr': '|u1', 'data': (id(self), False), 'version': 3}\n"
        "print('ESCAPED', np.asarray(A()))"),
    "array_interface_via_class_dict": (
        "class A: pass\nA.__dict__['__array_interface__'] = {'shape': (8,), 'typestr': '|u1', "
        "'data': (id(A), False), 'version': 3}\nx = np.asarray(A())\nassert x.dtype != object, 'not escaped'\nprint('ESCAPED', x)"),
    "array_interface_setattr": "class A: pass\nsetattr(A, '__array_interface__', {})",
    "array_interface_via_instance_dict": (
        "class A: pass\na = A()\na.__dict__['__array_interface__'] = {'shape': (8,), 'typestr': '|u1', "
        "'data': (id(a), False), 'version': 3}\nprint('ESCAPED', np.asarray(a))"),
    "instance_dict_type_without_owner": "class A: pass\nd = type(A().__dict__)({'fp': 1})\nd['fp'] = 2\nprint('ESCAPED')",
    "slots_dunder": "class A:\n    __slots__ = ('__array_interface__',)\nprint('ESCAPED')",
    "dunder_getattribute_def": "class A:\n    def __getattribute__(self, n):\n        return n\nprint('ESCAPED')",
    "instance_dict_of_library_object": "print(plt.rcParams.__dict__)",
    "match_class_blocked_attr": "match image_clue_0:\n    case object(fp=f):\n        print('ESCAPED', f)",
    # frames via generators, tracebacks, coroutines
    "generator_frame": "def g():\n    yield 1\nx = g()\nprint(x.gi_frame.f_globals)",
    "generator_frame_getattr": "def g():\n    yield 1\nprint(getattr(getattr(g(), 'gi_' + 'frame'), 'f_back'))",
    "traceback_frame": "try:\n    1/0\nexcept Exception as e:\n    print(e.__traceback__.tb_frame)",
    "with_traceback": "try:\n    1/0\nexcept Exception as e:\n    print(e.with_traceback(None))",
    "coroutine_frame": "async def c():\n    pass\nx = c()\nprint(getattr(x, 'cr_' + 'frame'))",
    # imports
    "import_os": "import os\nos.system('touch {marker}')",
    "import_sys": "import sys\nprint(sys.modules)",
    "import_subprocess": "import subprocess\nsubprocess.run(['touch', '{marker}'])",
    "import_ctypes": "import ctypes",
    "import_importlib": "import importlib\nimportlib.import_module('os')",
    "import_builtins": "import builtins\nbuiltins.open('{file}')",
    "import_socket": "import socket\nsocket.create_connection(('127.0.0.1', 22))",
    "import_multiprocessing": "import multiprocessing",
    "import_threading": "import threading",
    "import_pickle": "import pickle",
    "import_io": "import io\nio.open('{file}')",
    "dunder_import": "__import__('os')",
    "import_numpy_submodule": "import numpy.f2py",
    "from_numpy_import_lib": "from numpy import lib\nprint(lib)",
    "from_pil_import_imagefile": "from PIL import ImageFile",
    "open_builtin": "print(open('{file}').read())",
    "eval_exec_compile": "eval('1')",
    "globals_builtin": "print(globals())",
    # module attributes that reach os or the file system
    "np_f2py": "print(np.f2py)",
    "np_ctypeslib": "print(np.ctypeslib)",
    "np_lib": "print(np.lib.format)",
    "np_testing": "print(np.testing)",
    "np_core": "print(np.core)",
    "np_dynamic_getattr": "getattr(np, 'sa' + 've')('{marker}', np.zeros(3))",
    "mpl_internals": "print(plt.matplotlib)",
    "mpl_style": "plt.style.use('{file}')",
    "pil_core": "print(Image.core)",
    "pil_register": "Image.register_open('X', print)",
    # file I/O through numpy, PIL and matplotlib
    "np_save": "np.save('{marker}', np.zeros(3))",
    "np_load": "print(np.load('{file}'))",
    "np_fromfile": "print(np.fromfile('{file}', dtype=np.uint8))",
    "np_loadtxt": "print(np.loadtxt('{file}', dtype=str))",
    "np_genfromtxt": "print(np.genfromtxt('{file}', dtype=str))",
    "np_memmap": "print(np.memmap('{file}'))",
    "arr_dump": "np.zeros(3).dump('{marker}')",
    "arr_tofile": "np.zeros(3).tofile('{marker}')",
    "arr_ctypes": "print(np.zeros(3).ctypes.data)",
    "pil_open": "print(Image.open('{file}'))",
    "pil_save": "image_clue_0.save('{marker}')",
    "pil_save_unbound": "Image.Image.save(image_clue_0, '{marker}')",
    "pil_fp": "print(image_clue_0.fp)",
    "pil_core_image": "image_clue_0.im.save_ppm('{marker}')",
    "plt_savefig": "plt.plot([1, 2])\nplt.savefig('{marker}')",
    "fig_savefig": "fig = plt.figure()\nfig.savefig('{marker}')",
    "canvas_print_png": "fig = plt.figure()\nfig.canvas.print_png('{marker}')",
    "plt_imread": "print(plt.imread('{file}'))",
    "plt_imsave": "plt.imsave('{marker}', np.zeros((2, 2)))",
    "axesimage_write_png": "im = plt.imshow(np.zeros((2, 2)))\nim.write_png('{marker}')",
    "decord_open": "import decord\ndecord.VideoReader('{file}')",
    # the tools extra and the everyday modules of issue 10: files, processes, names and format strings
    "cv2_imread": "import cv2\nprint(cv2.imread('{file}'))",
    "cv2_imwrite": "import cv2\ncv2.imwrite('{marker}', np.zeros((2, 2), np.uint8))",
    "cv2_imwrite_getattr": "import cv2\ngetattr(cv2, 'imw' + 'rite')('{marker}', np.zeros((2, 2), np.uint8))",
    "cv2_videocapture": "import cv2\nprint(cv2.VideoCapture('{file}').read())",
    "cv2_videowriter": "import cv2\ncv2.VideoWriter('{marker}', 0, 1.0, (2, 2))",
    "cv2_filestorage": "import cv2\ncv2.FileStorage('{marker}', 1)",
    "cv2_cascade": "import cv2\ncv2.CascadeClassifier('{file}')",
    "cv2_dnn": "import cv2\ncv2.dnn.readNet('{file}')",
    "cv2_algorithm_save": "import cv2\ncv2.createCLAHE().save('{marker}')",
    "cv2_feature_write": "import cv2\ncv2.ORB_create().write('{marker}')",
    "cv2_feature_read": "import cv2\ncv2.ORB_create().read('{file}')",
    "cv2_matcher_write_getattr": "import cv2\ngetattr(cv2.BFMatcher(), 'wr' + 'ite')('{marker}')",
    "flann_saved_index": (
        "import cv2\nm = cv2.FlannBasedMatcher(dict(algorithm=254, filename='{file}'), {})\nm.train()"),
    "sklearn_memory_cache_dir": (
        "from sklearn.cluster import AgglomerativeClustering\n"
        "AgglomerativeClustering(2, memory='{marker}').fit(np.random.rand(6, 2))"),
    "pil_open_eps_ghostscript": (
        "import io\nfrom PIL import Image\nim = Image.open(io.BytesIO(b'%!PS-Adobe-3.0 EPSF-3.0\\n%%BoundingBox: 0 0 "
        "8 8\\n0 0 moveto 8 8 lineto stroke\\n'))\nprint('ESCAPED', im.size)"),
    "qhull_output_file": "from scipy.spatial import ConvexHull\nConvexHull(np.random.rand(10, 2), qhull_options='TO {marker}')",
    "qhull_output_file_positional": (
        "from scipy.spatial import Delaunay\nDelaunay(np.random.rand(10, 2), False, False, 'TO {marker}')"),
    "scipy_io": "from scipy import io\nprint(io.loadmat('{file}'))",
    "scipy_blas_by_name": "from scipy import linalg\nprint(linalg.get_blas_funcs('gemm'))",
    "skimage_io": "from skimage import io\nprint(io.imread('{file}'))",
    "skimage_io_attribute": "import skimage\nprint(skimage.io.imread('{file}'))",
    "skimage_data": "from skimage import data\nprint(data.camera())",
    "sklearn_datasets": "from sklearn.datasets import load_files\nprint(load_files('{file}'))",
    "io_open": "import io\nprint(io.FileIO('{file}').read())",
    "os_path_exists": "import os\nprint(os.path.exists('{file}'))",
    "os_environ": "import os\nprint(os.environ['PYVISION_CANARY'])",
    "os_path_module_walk": "import os.path\nprint(os.path.genericpath)",
    "pil_image_open_path": "from PIL import Image\nprint(Image.open('{file}').tobytes())",
    "pil_reopened_image_class": (
        "import io\nfrom PIL import Image\nb = io.BytesIO()\nimage_clue_0.save(b, 'PNG')\n"
        "im = Image.open(b)\nprint(type(im)('{file}'))"),
    "pil_truetype_path": "from PIL import ImageFont\nprint(ImageFont.truetype('{file}', 10))",
    "pil_truetype_traversal": "from PIL import ImageFont\nprint(ImageFont.truetype('../../../..{file}', 10))",
    "pil_font_variant": "from PIL import ImageFont\nprint(ImageFont.load_default(12).font_variant(font='{file}'))",
    "pil_font_path": "from PIL import ImageFont\nprint(ImageFont.truetype('DejaVuSans.ttf', 10).path)",
    "string_formatter": "import string\nprint(string.Formatter().format('{0.__class__.__mro__}', 1))",
    "operator_attrgetter": "import operator\nprint(operator.attrgetter('__class__.__mro__')(1))",
    "operator_methodcaller": "import operator\noperator.methodcaller('save', '{marker}')(image_clue_0)",
    "operator_setitem_facade": "import operator\noperator.setitem(np.__dict__, 'pi', 3)",
    "typing_get_type_hints": (
        "import typing\ndef f(x: \"__import__('os').system('touch {marker}')\"): pass\ntyping.get_type_hints(f)"),
    "typing_get_origin_type": "import typing\nT = typing.get_origin(typing.Type[int])\nprint('ESCAPED', T('X', (), {}))",
    "dataclasses_make_dataclass": (
        "import dataclasses\ndataclasses.make_dataclass('X', [], namespace={'__array_interface__': {}})"),
    "enum_functional_dunder": (
        "import enum\nE = enum.Enum('E', {'__array_interface__': {'shape': (8,), 'typestr': '|u1', "
        "'data': (id(enum), False), 'version': 3}})\nprint('ESCAPED', np.asarray(E))"),
    "enum_library_mixin": "import enum\nE = enum.Enum('E', 'A B', type=type(image_clue_0))\nprint('ESCAPED', E.A)",
    "enum_metaclass": "import enum\nprint(enum.EnumType('X', (), {}))",
    "warnings_showwarning_poison": "import warnings\nwarnings.showwarning = print",
    "functools_wraps_updated": (
        "import functools, statistics\n@functools.wraps(statistics.mean, updated=('__globals__',))\n"
        "def f(): pass\nprint('ESCAPED')"),
    "absent_module_by_dotted_name": "import scipy.io.matlab",
    "sys_interpreter_state": "import sys\nprint(sys.modules['os'])",
    "sys_recursion_limit": "import sys\nsys.setrecursionlimit(10 ** 9)",
    "sys_stdout_type_file": "import sys\nprint(type(sys.stdout)('{file}').read())",
    "traceback_frames": "import traceback\nprint(traceback.walk_stack(None))",
    "hashlib_file_digest": "import hashlib\nprint(hashlib.file_digest(open('{file}', 'rb'), 'md5'))",
    "vars_of_library_object": "print(vars(plt.rcParams))",
    "vars_of_facade": "print(vars(np))",
    # saving to a path captures the figure or image (CAPTURED): no file, whatever route reaches it
    "fig_savefig_getattr": "fig = plt.figure()\ngetattr(fig, 'save' + 'fig')('{marker}')",
    "pil_save_keyword_path": "image_clue_0.save(fp='{marker}', format='PNG')",
    # poisoning shared objects
    "poison_np_attribute": "np.pi = 3",
    "poison_facade_setattr": "setattr(np.linalg, 'norm', print)",
    "poison_math": "import math\nmath.pi = 3",
    "write_to_builtin_object": "x = (1).real\nsetattr(print, 'x', 1)",
    # library functions that read attribute names or format strings (issue 9's review)
    # (ESCAPED is printed only once layer 1 is bypassed; the payload after it is for the OS layer to stop.)
    "functools_update_wrapper_globals": (
        "import functools, statistics\ndef f(): pass\n"
        "functools.update_wrapper(f, statistics.mean, assigned=(), updated=('__globals__',))\n"
        "def g(): return eval\nev = g()\nprint('ESCAPED')\nprint(ev(\"open('{file}').read()\"))\n"
        "ev(\"__import__('os').system('touch {marker}')\")"),
    "functools_wraps_globals": (
        "import functools, statistics\ndef f(): pass\n"
        "f = functools.wraps(statistics.mean, assigned=(), updated=('__globals__',))(f)\n"
        "def g(): return open\nop = g()\nprint('ESCAPED')\nprint(op('{file}').read())"),
    "singledispatch_string_annotation": (
        "import functools\n@functools.singledispatch\ndef f(x): pass\n"
        "W = \"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]\"\n"
        "def h(x: W): pass\nf.register(h)\nprint('ESCAPED', list(f.registry))\n"
        "def k(x: \"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__['system']('touch {marker}')\"): pass\nf.register(k)"),
    "mpl_major_formatter_format_string": (
        "import statistics\nfig, ax = plt.subplots()\n"
        "ax.xaxis.set_major_formatter('{x.__globals__[sys].modules[os].environ}')\n"
        "print(ax.xaxis.get_major_formatter()(statistics.mean))"),
    "mpl_formatter_reads_file_path": (
        "import statistics\nfig, ax = plt.subplots()\nax.xaxis.set_major_formatter('{x.__globals__}')\n"
        "print(ax.xaxis.get_major_formatter()(statistics.mean))"),
    "mpl_colorbar_format_string": (
        "fig, ax = plt.subplots()\nim = ax.imshow(np.zeros((2, 2)))\n"
        "cb = fig.colorbar(im, format='{x.__class__.__mro__[1].__subclasses__}')\nfig.canvas.draw()\n"
        "print([t.get_text() for t in cb.ax.get_yticklabels()])"),
    "userstring_format": (
        "import collections\nprint(collections.UserString('{0.__class__.__mro__[1].__subclasses__}').format(1))"),
    "mpl_bar_label_fmt": (
        "fig, ax = plt.subplots()\nbars = ax.bar([0], [1.0])\n"
        "labels = ax.bar_label(bars, fmt='{0.__class__.__mro__[1].__subclasses__}')\n"
        "print(labels[0].get_text())"),
    # red team of issue 10's surface: a str subclass as attribute name, raw buffers as object arrays, generated
    # dataclass code, and library classes that open paths
    "str_subclass_attribute_name": (
        "class S(str):\n    def startswith(self, *a):\n        return False\n"
        "sc = getattr(getattr(getattr((), S('__class__')), S('__base__')), S('__subclasses__'))()\nprint('ESCAPED')\n"
        "w = [c for c in sc if c.__name__ == '_wrap_close'][0]\n"
        "getattr(getattr(w, S('__init__')), S('__globals__'))['system']('touch {marker}')"),
    "str_subclass_setattr_dunder": (
        "class S(str):\n    def startswith(self, *a):\n        return False\nclass A: pass\na = A()\n"
        "setattr(a, S('__array_interface__'), {'shape': (8,), 'typestr': '|u1', 'data': (id(a), False), "
        "'version': 3})\nprint('ESCAPED', np.asarray(a))"),
    "str_subclass_instance_dict_key": (
        "class S(str):\n    def startswith(self, *a):\n        return False\nclass A: pass\na = A()\n"
        "a.__dict__[S('__array_interface__')] = {'shape': (8,), 'typestr': '|u1', 'data': (id(a), False), "
        "'version': 3}\nprint('ESCAPED', np.asarray(a))"),
    "ndarray_objects_over_buffer": "x = np.ndarray((1,), object, bytearray(8))\nprint('ESCAPED', x)",
    "ndarray_type_objects_over_buffer": "x = type(np.zeros(1))((1,), object, bytearray(8))\nprint('ESCAPED', x)",
    "recarray_objects_over_buffer": "x = np.recarray((1,), dtype=[('a', 'O')], buf=bytearray(8))\nprint('ESCAPED', x)",
    "dataclass_typeddict_dunder_field": (
        "import typing, dataclasses\nT = typing.TypedDict('T', {'__array_interface__': dict})\n"
        "D = dataclasses.dataclass(T)\nprint('ESCAPED', D)"),
    "pil_font_class_opens_path": (
        "from PIL import ImageFont\nF = type(ImageFont.load_default(12))\nprint('ESCAPED', F('{file}', 10))"),
    "mpl_fontconfig_pattern_file": (
        "fig, ax = plt.subplots()\nt = ax.text(0, 0, 'x', fontproperties='DejaVu Sans:file={file}')\n"
        "print('ESCAPED', t.get_fontproperties().get_file())\nfig.canvas.draw()"),
    "mpl_fontproperties_fname": (
        "fig, ax = plt.subplots()\nfp = type(ax.text(0, 0, 'x').get_fontproperties())(fname='{file}')\n"
        "print('ESCAPED', fp.get_file())"),
    "skimage_cascade_path": "from skimage.feature import Cascade\nprint('ESCAPED')\nCascade('{file}')",
    # stand-ins that check an argument must pass on what they checked: a str or dict subclass of the agent's
    # answers the library's own .encode()/.upper()/item reads differently (here with harmless options and
    # formats: qhull itself ignores 'TO file', and EPS's Ghostscript is stopped by the OS layer)
    "qhull_options_str_subclass": (
        "class S(str):\n    def __str__(self):\n        return 'QJ'\n    def split(self):\n        return ['QJ']\n"
        "    def encode(self, *a):\n        return b'Tv'\nfrom scipy.spatial import ConvexHull\n"
        "print('ESCAPED', ConvexHull(np.random.rand(10, 2), qhull_options=S('TO {marker}')).vertices)"),
    "flann_dict_subclass": (
        "import cv2\nclass D(dict):\n    def __contains__(self, k):\n        return False\n"
        "    def get(self, k, d=None):\n        return 1\n"
        "m = cv2.FlannBasedMatcher(D(algorithm=254, filename='{file}'), {})\nprint('ESCAPED', m)\nm.train()"),
    "pil_open_formats_str_subclass": (
        "import io\nfrom PIL import Image\nclass S(str):\n    def __str__(self):\n        return 'PNG'\n"
        "    def upper(self):\n        return 'XBM'\nb = io.BytesIO(b'#define im_width 8\\n#define im_height 2\\n"
        "static char im_bits[] = {\\n0x00,0x00\\n};\\n')\nprint('ESCAPED', Image.open(b, formats=[S('XBM')]).size)"),
    "format_through_super": (
        "class S(str):\n    def go(self):\n        return super().format(1)\n"
        "print('ESCAPED', S('{0.__class__.__mro__[1].__subclasses__}').go())"),
    "format_unbound_str_subclass": "print('ESCAPED', np.str_.format('{0.__class__.__mro__[1].__subclasses__}', 1))",
    "format_unbound_agent_str_subclass": (
        "class S(str): pass\nprint('ESCAPED', S.format('{0.__class__.__mro__[1].__subclasses__}', 1))"),
    "flann_class_via_type": (
        "import cv2\nM = type(cv2.FlannBasedMatcher(dict(algorithm=1, trees=5), {}))\n"
        "print('ESCAPED', M(dict(algorithm=254, filename='{file}'), {}))"),
    "qhull_class_via_type": (
        "from scipy.spatial import ConvexHull\nH = type(ConvexHull(np.random.rand(10, 2)))\n"
        "print('ESCAPED', H(np.random.rand(10, 2), qhull_options='Tv'))"),
    "savefig_backend_imports_module": (
        "import io\nfig, ax = plt.subplots()\ntry:\n    fig.savefig(io.BytesIO(), format='png', backend='module://this')\n"
        "except ImportError:\n    print('ESCAPED: imported by name')"),
    "skimage_regionprops_dunder_key": (
        "from skimage.measure import regionprops\np = regionprops(np.ones((4, 4), int))[0]\nd = p['__dict__']\n"
        "d['__array_interface__'] = {'shape': (8,), 'typestr': '|u1', 'data': (id(p), False), 'version': 3}\n"
        "print('ESCAPED', np.asarray(p))"),
    "np_test_runner": "print('ESCAPED', np.test)\nnp.test(extra_argv=['--junitxml={marker}'])",
}


# Saving to a path is not refused: the figure or image is captured as if shown, and no file is written.
CAPTURED = {"plt_savefig", "fig_savefig", "pil_save", "fig_savefig_getattr", "pil_save_keyword_path"}


def _fill(code, canary):
    return code.replace(F, str(canary["file"])).replace(M, str(canary["marker"]))


def test_there_are_at_least_forty_attempts():
    assert len(ATTEMPTS) >= 40


@pytest.mark.parametrize("restricted", [True, False], ids=["agent_code", "plain_python"])
@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_escape_attempt_is_refused(name, restricted, open_canary, image, monkeypatch):
    monkeypatch.setenv("PYVISION_CANARY", SECRET)
    with Sandbox(images=[image], timeout_s=5, restricted=restricted) as sb:
        r = sb.run(_fill(ATTEMPTS[name], open_canary))
        if restricted and name in CAPTURED:
            assert r.error is None and len(r.images) == 1, r.error
        elif restricted:  # layer 1 refuses on its own
            assert r.error is not None, f"{name} ran without error: {r.stdout!r}"
            assert "ESCAPED" not in r.stdout and "subclasses" not in r.stdout and "<module" not in r.stdout, r.stdout
        assert SECRET not in r.stdout and SECRET not in (r.error or "")
        assert not r.timed_out
        assert not os.path.exists(open_canary["marker"])
        assert Path(open_canary["file"]).read_text() == SECRET
        assert os.environ["PYVISION_CANARY"] == SECRET
        after = sb.run("print(image_clue_0.size)")
        assert after.stdout == "(120, 80)\n" and not after.state_lost
    assert image.getpixel((5, 5)) == (250, 0, 0)


# --- resource exhaustion --------------------------------------------------------------------------

def test_infinite_loop_times_out_and_host_survives(image):
    with Sandbox(images=[image], timeout_s=0.5) as sb:
        r = sb.run("while True:\n    pass")
        assert r.timed_out
        assert sb.run("print(2)").stdout == "2\n"


def test_cpu_heavy_builtin_times_out(image):
    with Sandbox(images=[image], timeout_s=0.5) as sb:
        assert sb.run("sum(range(10 ** 12))").timed_out


@pytest.mark.parametrize("code", [
    "x = bytearray(8 * 1024 ** 3)",
    "x = [0] * (10 ** 10)",
    "x = np.ones((10 ** 5, 10 ** 5))",
    "x = 'a' * (10 ** 10)",
    "x = Image.new('RGB', (100000, 100000))",
])
def test_memory_bomb_is_a_memory_error(code, image):
    with Sandbox(images=[image], memory_mb=1024) as sb:
        r = sb.run(code)
        assert r.error is not None and ("MemoryError" in r.error or "SandboxCrash" in r.error), r.error
        assert sb.run("print(3)").stdout == "3\n"


def test_growing_list_memory_bomb(image):
    with Sandbox(images=[image], memory_mb=768, timeout_s=20) as sb:
        r = sb.run("a = []\nwhile True:\n    a.append(bytearray(10 ** 7))")
        assert r.error is not None and ("MemoryError" in r.error or "SandboxCrash" in r.error)
        assert sb.run("print(4)").stdout == "4\n"


def test_output_flood_is_capped(image):
    with Sandbox(images=[image], timeout_s=20, max_output_chars=1000) as sb:
        r = sb.run("for i in range(200000):\n    print('x' * 100)")
        assert len(r.stdout) < 2000 and "elided" in r.stdout


def test_deep_recursion_is_a_recursion_error(sandbox):
    r = sandbox.run("def f(n):\n    return f(n + 1)\nf(0)")
    assert "RecursionError" in r.error
    assert sandbox.run("print(5)").stdout == "5\n"


def test_figure_flood_is_capped(image):
    with Sandbox(images=[image], max_images_per_call=3) as sb:
        r = sb.run("for i in range(10):\n    show(np.zeros((4, 4)))")
        assert len(r.images) == 3 and "not returned" in r.stdout


def test_module_state_does_not_reach_the_next_episode(image):
    with Sandbox(images=[image]) as sb:
        r = sb.run("plt.rcParams['lines.linewidth'] = 99\nnp.set_printoptions(precision=1)\nrandom_state = 1")
        assert r.ok, r.error
    with Sandbox(images=[image]) as sb:
        r = sb.run("print(plt.rcParams['lines.linewidth'], np.array([0.123456]))")
        assert r.stdout == "1.5 [0.123456]\n"
