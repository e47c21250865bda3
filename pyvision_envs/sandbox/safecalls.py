"""Stand-ins for library callables that take file paths or option strings, offered in their place.

Models save figures and images out of habit (``plt.savefig('crop.png')``, ``img.save(buf, 'PNG')``), reopen
in-memory images (``Image.open(io.BytesIO(data))``) and ask for fonts by file name. Here a path means "show
me this": the figure or image is captured as if shown and no file is written; an ``io.BytesIO`` is a real,
in-memory save or load; a font is one of the fonts bundled with matplotlib. Everything else is refused with
a message naming what to use instead.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

_MEMORY = (io.BytesIO,)


def pyplot_savefig(saved: Callable[[Any], None]) -> Callable[..., None]:
    """``plt.savefig``: into a BytesIO for real; to a path, the current figure is captured as if shown."""

    def savefig(fname: Any = None, *args: Any, **kwargs: Any) -> None:
        import matplotlib.pyplot as plt

        figure_savefig(saved, plt.gcf())(fname, *args, **kwargs)

    return savefig


def figure_savefig(saved: Callable[[Any], None], fig: Any) -> Callable[..., None]:
    """``fig.savefig`` of one figure (see ``pyplot_savefig``)."""

    def savefig(fname: Any = None, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("backend") is not None:  # matplotlib imports the module it names ('module://any.module')
            raise ValueError("savefig's backend= is not available in the sandbox; leave it out (Agg draws everything)")
        if isinstance(fname, _MEMORY):
            fig.savefig(fname, *args, **kwargs)
        elif fname is None or isinstance(fname, (str, os.PathLike)):
            saved(fig)
        else:
            raise TypeError("savefig takes a file name (the figure is then shown; no file is written) or an "
                            f"io.BytesIO in the sandbox, not {type(fname).__name__}")

    return savefig


def image_save(shown: Callable[[Any], None], img: Any) -> Callable[..., None]:
    """``img.save``: into a BytesIO for real; to a path, the image is captured as if shown (no file)."""
    from PIL import Image

    def save(fp: Any, format: Any = None, **params: Any) -> None:  # noqa: A002 - PIL's own parameter name
        if isinstance(fp, _MEMORY):
            Image.Image.save(img, fp, format, **params)
        elif isinstance(fp, (str, os.PathLike)):
            shown(img)
        else:
            raise TypeError(f"save takes a file name (the image is then shown; no file is written) or an io.BytesIO "
                            f"in the sandbox, not {type(fp).__name__}")

    return save


# Raster formats decoded by PIL itself (EPS would start Ghostscript; PDF, FITS and others need more).
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "TGA", "ICO")


def image_open(fp: Any, mode: str = "r", formats: Any = None) -> Any:
    """``Image.open`` of in-memory data only; returns a plain, loaded image (no file handle behind it)."""
    from PIL import Image

    if not isinstance(fp, _MEMORY):
        raise PermissionError("Image.open takes an io.BytesIO in the sandbox (files are not available); the "
                              "input images are already open as image_clue_0, image_clue_1, ...")
    # plain upper-case copies: PIL calls .upper() on what it is given, and an agent str subclass answers as it likes
    allowed = [u for u in (str.__str__(f).upper() for f in (formats or IMAGE_FORMATS) if isinstance(f, str))
               if u in IMAGE_FORMATS]
    if not allowed:
        raise ValueError(f"Image.open reads {', '.join(IMAGE_FORMATS)} in the sandbox")
    with Image.open(fp, mode, allowed) as src:
        src.load()
        out = src.copy()  # a plain Image: the ImageFile subclass's constructor would open paths
        out.format = src.format
    return out


def _bundled_fonts() -> dict[str, str]:
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return {name: os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".ttf")}


_FONTS: dict[str, str] = {}


def bundled_truetype(font: Any = None, size: float = 10, index: int = 0, encoding: str = "",
                     layout_engine: Any = None) -> Any:
    """``ImageFont.truetype`` of a font bundled with matplotlib (``DejaVuSans.ttf``, ...), by file name.

    Any other name fails as a missing font does in PIL (``OSError``), so models' usual fallback to
    ``ImageFont.load_default()`` runs.
    """
    from PIL import ImageFont

    if not _FONTS:
        _FONTS.update(_bundled_fonts())
    name = os.path.basename(font) if isinstance(font, str) else None
    if name is not None and not name.endswith(".ttf"):
        name += ".ttf"
    if name not in _FONTS:
        raise OSError(f"cannot open resource: font {font!r} is not available in the sandbox; use "
                      f"ImageFont.load_default(size) or one of {', '.join(_FONTS)}")
    return ImageFont.truetype(_FONTS[name], size, index, encoding, layout_engine)


# qhull's option string can name files ("TO out.txt", "TI in.txt"): only Q/P/C/A/E/R/W/V/U options pass.
_QHULL_OPTION = re.compile(r"^(Q[A-Za-z0-9:._-]*|P[A-Za-z0-9:._-]*|[ACERWVU]-?[0-9.eE+-]*n?)$")


def _qhull_checked(cls: type, position: int) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> Any:
        options = args[position] if len(args) > position else kwargs.get("qhull_options")
        if options is not None:
            if not isinstance(options, str):
                raise TypeError("qhull_options is a string of options such as 'QJ'")
            # checked and passed on as a plain str: scipy calls .encode() on it, which a subclass could redefine
            options = str.__str__(options)
            if len(args) > position:
                args = (*args[:position], options, *args[position + 1:])
            else:
                kwargs["qhull_options"] = options
            bad = [tok for tok in options.split() if not _QHULL_OPTION.match(tok)]
            if bad:
                raise ValueError(f"qhull options {bad} are not allowed in the sandbox (no file output); use "
                                 "Q/P/C/A/E/R/W/V/U options such as 'QJ' or 'Qbb Qc Qz'")
        return cls(*args, **kwargs)

    make.__name__ = make.__qualname__ = cls.__name__
    make.__doc__ = cls.__doc__
    return make


def qhull_classes() -> dict[str, Callable[..., Any]]:
    """scipy.spatial's qhull classes, with their option strings checked (empty when scipy is absent)."""
    try:
        from scipy import spatial
    except ImportError:
        return {}
    positions = {"ConvexHull": 2, "Delaunay": 3, "Voronoi": 3, "HalfspaceIntersection": 3}  # of qhull_options
    return {name: _qhull_checked(getattr(spatial, name), pos) for name, pos in positions.items()}


_WRAPPER_ASSIGNMENTS = ("__module__", "__name__", "__qualname__", "__doc__")


def update_wrapper(wrapper: Any, wrapped: Any, assigned: Any = None, updated: Any = None) -> Any:
    """``functools.update_wrapper`` copying the descriptive strings only.

    The real one copies any attributes its caller names (``updated=('__globals__',)`` hands a library
    function's globals to the agent's function), so ``assigned``/``updated`` are refused.
    """
    if assigned is not None or updated is not None:
        raise TypeError("functools.wraps/update_wrapper copy __name__, __qualname__, __doc__ and __module__ only "
                        "in the sandbox; leave out assigned and updated")
    import types

    if not isinstance(wrapper, types.FunctionType):
        raise TypeError("functools.wraps decorates functions you define in the sandbox")
    for attr in _WRAPPER_ASSIGNMENTS:
        value = getattr(wrapped, attr, None)
        if isinstance(value, str) or (attr == "__doc__" and value is None):
            setattr(wrapper, attr, value)
    return wrapper


def wraps(wrapped: Any, assigned: Any = None, updated: Any = None) -> Callable[[Any], Any]:
    """``functools.wraps``, through ``update_wrapper``."""
    if assigned is not None or updated is not None:
        update_wrapper(None, wrapped, assigned, updated)  # refuses, with the message
    return lambda wrapper: update_wrapper(wrapper, wrapped)


# FLANN's "saved index" (algorithm 254) loads an index from the file its parameters name.
_FLANN_INDEX_SAVED = 254


def flann_matcher(*args: Any, **kwargs: Any) -> Any:
    """``cv2.FlannBasedMatcher`` whose index and search parameters name no file."""
    import cv2

    # plain dict copies, checked and passed on: cv2 reads a dict subclass's real items, not its overridden methods
    args = tuple(dict(p) if isinstance(p, dict) else p for p in args)
    kwargs = {k: dict(p) if isinstance(p, dict) else p for k, p in kwargs.items()}
    for params in [*args, *kwargs.values()]:
        if not isinstance(params, dict) or "filename" in params or params.get("algorithm") == _FLANN_INDEX_SAVED:
            raise ValueError("FlannBasedMatcher takes dicts of index/search parameters in the sandbox, without a "
                             "saved index (no filename, algorithm 254); e.g. dict(algorithm=1, trees=5)")
    return cv2.FlannBasedMatcher(*args, **kwargs)


def cv2_stand_ins() -> dict[str, Any]:
    """cv2 names replaced by stand-ins (empty when cv2 is absent)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return {}
    return {"FlannBasedMatcher": flann_matcher, "FlannBasedMatcher_create": flann_matcher}


def harden_sklearn() -> None:
    """scikit-learn's ``memory=`` caches to a directory it names: refuse anything but None (no cache).

    Replaces ``check_memory`` in every loaded sklearn module that imported it; runs in the fork server.
    """
    import sys

    def check_memory(memory: Any) -> Any:
        if memory is not None:
            raise ValueError("memory= (a cache directory) is not available in the sandbox; leave it None")
        return original(None)

    try:
        from sklearn.utils import validation
    except ImportError:
        return
    original = validation.check_memory
    for name, module in list(sys.modules.items()):
        if name.startswith("sklearn") and getattr(module, "check_memory", None) is original:
            module.check_memory = check_memory


def _check_dataclass_fields(cls: Any) -> None:
    import keyword

    names = list(vars(cls).get("__annotations__", {})) if isinstance(cls, type) else []
    bad = [n for n in names if n != "_" and (type(n) is not str or not n.isidentifier() or n.startswith("_")
                                             or keyword.iskeyword(n))]
    if bad:
        raise TypeError(f"dataclass fields must be public identifiers in the sandbox, not {bad}; rename them")


def dataclass(cls: Any = None, /, **kwargs: Any) -> Any:
    """``dataclasses.dataclass`` of classes whose fields are public identifiers.

    The real one writes its field names into generated source (``exec``) and sets them as attributes, and a
    functional ``TypedDict`` carries any string as a field name: ``'__array_interface__'`` or code.
    """
    import dataclasses

    def wrap(c: Any) -> Any:
        _check_dataclass_fields(c)
        return dataclasses.dataclass(c, **kwargs)

    return wrap if cls is None else wrap(cls)


class _ClassView(type):
    """What agent code sees of a library class whose constructor is dangerous: the class, except for calls.

    ``np.ndarray(shape, object, buffer=bytearray(8))`` makes an array of object pointers read from bytes the
    agent wrote (any address becomes an object); ``FreeTypeFont(path)`` opens a path (``STAND_INS``). ``isinstance``,
    ``issubclass``, ``__name__`` and class attributes behave as on the real class (``isinstance(x, np.ndarray)``,
    ``np.ndarray.sum``), and ``type(x) is np.ndarray`` holds because ``type()`` answers with the same view
    (``agentclasses.type_of``).
    """

    _real: type

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return issubclass(sub._real if isinstance(sub, _ClassView) else sub, cls._real)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not issubclass(cls._real, np.ndarray):  # one of STAND_INS: its checked stand-in
            return STAND_INS[f"{cls._real.__module__}.{cls._real.__qualname__}"]()(*args, **kwargs)
        out = cls._real(*args, **kwargs)
        base = out
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        if out.dtype.hasobject and not isinstance(base, np.ndarray):
            raise TypeError("an array of objects cannot be made over a memory buffer in the sandbox; use "
                            "np.array(items, dtype=object)")
        return out

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real, name)

    def __repr__(cls) -> str:
        return repr(cls._real)


_VIEWS: dict[type, _ClassView] = {}
_QHULL = "scipy.spatial._qhull."
# Classes whose objects agent code holds but whose constructors are offered only as checked stand-ins: type(x)
# of such an object is a _ClassView that calls the stand-in (type(font)(path) would open any path).
STAND_INS: dict[str, Callable[[], Callable[..., Any]]] = {
    "PIL.ImageFont.FreeTypeFont": lambda: bundled_truetype,
    "cv2.FlannBasedMatcher": lambda: flann_matcher,
    **{_QHULL + name: (lambda name=name: qhull_classes()[name])
       for name in ("ConvexHull", "Delaunay", "Voronoi", "HalfspaceIntersection")},
}


def class_view(real: type) -> _ClassView:
    """The view of ``np.ndarray`` (or a subclass) or of a class in ``STAND_INS``; one per class, so ``is`` holds."""
    if real not in _VIEWS:
        _VIEWS[real] = _ClassView(real.__name__, (), {
            "_real": real, "__module__": real.__module__, "__qualname__": real.__qualname__, "__doc__": real.__doc__})
    return _VIEWS[real]


def harden_fonts() -> None:
    """Fonts by file: matplotlib's ``FontProperties`` may name only the fonts matplotlib already knows.

    ``fontproperties='DejaVu Sans:file=/any/path'`` (a fontconfig pattern) and ``FontProperties(fname=path)``
    make the renderer open that path. Runs in the fork server before any worker exists.
    """
    from matplotlib import font_manager

    known = {os.path.realpath(f.fname) for f in font_manager.fontManager.ttflist + font_manager.fontManager.afmlist}
    known |= {os.path.realpath(p) for p in _bundled_fonts().values()}
    original = font_manager.FontProperties.set_file

    def set_file(self: Any, file: Any) -> None:
        if file is not None and os.path.realpath(os.fspath(file)) not in known:
            raise ValueError("fonts are chosen by family name in the sandbox (family='DejaVu Sans'), not by file")
        original(self, file)

    font_manager.FontProperties.set_file = set_file


def harden_skimage() -> None:
    """``regionprops(...)[0][key]`` reads ``getattr(region, key)``: public property names only.

    Otherwise ``region['__dict__']`` is the library object's own dict, and a ``'__array_interface__'`` key
    written into it makes ``np.asarray(region)`` read raw memory. Runs in the fork server before any worker exists
    (``regionprops_table(properties=...)`` reads through the same method).
    """
    try:
        from skimage.measure._regionprops import RegionProperties
    except ImportError:
        return
    original = RegionProperties.__getitem__

    def getitem(self: Any, key: Any) -> Any:
        if type(key) is not str or key.startswith("_"):
            raise KeyError(f"{key!r}: region properties are read by their public names ('area', 'bbox', ...)")
        return original(self, key)

    RegionProperties.__getitem__ = getitem
