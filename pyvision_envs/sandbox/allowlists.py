"""What each module facade offers agent code: explicit allow-lists, reviewed by hand.

A name that is not here is not reachable, whatever the installed library adds in a new version (the test
``test_facades`` fails when a listed name disappears, so the lists are re-reviewed on upgrades). Removed
on review: names that take attribute names or format strings and act on them (``functools.update_wrapper``,
``wraps``, ``singledispatch``; ``collections.UserString.format``; ``pyplot.setp``/``getp``/``get``, which
call any ``set_*``/``get_*`` method by name), interactive and backend machinery, and names a module merely
imported (``statistics.namedtuple``, ``typing`` helpers). Each module's submodules come from ``facades``.
"""

from __future__ import annotations

ALLOW: dict[str, tuple[str, ...]] = {
    "numpy": (
        "False_", "ScalarType", "True_", "abs", "absolute", "acos", "acosh", "add", "all", "allclose", "amax",
        "amin", "angle", "any", "append", "apply_along_axis", "apply_over_axes", "arange", "arccos", "arccosh",
        "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin", "argpartition", "argsort",
        "argwhere", "around", "array", "array2string", "array_equal", "array_equiv", "array_repr",
        "array_split", "array_str", "asanyarray", "asarray", "asarray_chkfinite", "ascontiguousarray",
        "asfortranarray", "asin", "asinh", "asmatrix", "astype", "atan", "atan2", "atanh", "atleast_1d",
        "atleast_2d", "atleast_3d", "average", "bartlett", "base_repr", "binary_repr", "bincount",
        "bitwise_and", "bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
        "bitwise_right_shift", "bitwise_xor", "blackman", "block", "bmat", "bool", "bool_", "broadcast",
        "broadcast_arrays", "broadcast_shapes", "broadcast_to", "busday_count", "busday_offset",
        "busdaycalendar", "byte", "bytes_", "c_", "can_cast", "cbrt", "cdouble", "ceil", "character", "choose",
        "clip", "clongdouble", "column_stack", "common_type", "complex128", "complex256", "complex64",
        "complexfloating", "compress", "concat", "concatenate", "conj", "conjugate", "convolve", "copy",
        "copysign", "copyto", "corrcoef", "correlate", "cos", "cosh", "count_nonzero", "cov", "cross",
        "csingle", "cumprod", "cumsum", "cumulative_prod", "cumulative_sum", "datetime64", "datetime_as_string",
        "datetime_data", "deg2rad", "degrees", "delete", "diag", "diag_indices", "diag_indices_from",
        "diagflat", "diagonal", "diff", "digitize", "divide", "divmod", "dot", "double", "dsplit", "dstack",
        "dtype", "e", "ediff1d", "einsum", "einsum_path", "empty", "empty_like", "equal", "errstate",
        "euler_gamma", "exp", "exp2", "expand_dims", "expm1", "extract", "eye", "fabs", "fill_diagonal",
        "finfo", "fix", "flatiter", "flatnonzero", "flexible", "flip", "fliplr", "flipud", "float128",
        "float16", "float32", "float64", "float_power", "floating", "floor", "floor_divide", "fmax", "fmin",
        "fmod", "format_float_positional", "format_float_scientific", "frexp", "from_dlpack", "frombuffer",
        "fromfunction", "fromiter", "frompyfunc", "fromstring", "full", "full_like", "gcd", "generic",
        "geomspace", "get_printoptions", "getbufsize", "geterr", "geterrcall", "gradient", "greater",
        "greater_equal", "half", "hamming", "hanning", "heaviside", "histogram", "histogram2d",
        "histogram_bin_edges", "histogramdd", "hsplit", "hstack", "hypot", "i0", "identity", "iinfo", "imag",
        "index_exp", "indices", "inexact", "inf", "inner", "insert", "int16", "int32", "int64", "int8", "int_",
        "intc", "integer", "interp", "intersect1d", "intp", "invert", "is_busday", "isclose", "iscomplex",
        "iscomplexobj", "isdtype", "isfinite", "isfortran", "isin", "isinf", "isnan", "isnat", "isneginf",
        "isposinf", "isreal", "isrealobj", "isscalar", "issubdtype", "iterable", "ix_", "kaiser", "kron", "lcm",
        "ldexp", "left_shift", "less", "less_equal", "lexsort", "linspace", "little_endian", "log", "log10",
        "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor",
        "logspace", "long", "longdouble", "longlong", "mask_indices", "matmul", "matrix", "matrix_transpose",
        "matvec", "max", "maximum", "may_share_memory", "mean", "median", "meshgrid", "mgrid", "min",
        "min_scalar_type", "minimum", "mintypecode", "mod", "modf", "moveaxis", "multiply", "nan", "nan_to_num",
        "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin",
        "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "ndarray", "ndenumerate",
        "ndim", "ndindex", "nditer", "negative", "nested_iters", "newaxis", "nextafter", "nonzero", "not_equal",
        "number", "object_", "ogrid", "ones", "ones_like", "outer", "packbits", "pad", "partition",
        "percentile", "permute_dims", "pi", "piecewise", "place", "poly", "poly1d", "polyadd", "polyder",
        "polydiv", "polyfit", "polyint", "polymul", "polysub", "polyval", "positive", "pow", "power",
        "printoptions", "prod", "promote_types", "ptp", "put", "put_along_axis", "putmask", "quantile", "r_",
        "rad2deg", "radians", "ravel", "ravel_multi_index", "real", "real_if_close", "recarray", "reciprocal",
        "record", "remainder", "repeat", "require", "reshape", "resize", "result_type", "right_shift", "rint",
        "roll", "rollaxis", "roots", "rot90", "round", "row_stack", "s_", "sctypeDict", "searchsorted",
        "select", "set_printoptions", "setbufsize", "setdiff1d", "seterr", "seterrcall", "setxor1d", "shape",
        "shares_memory", "short", "sign", "signbit", "signedinteger", "sin", "sinc", "single", "sinh", "size",
        "sort", "sort_complex", "spacing", "split", "sqrt", "square", "squeeze", "stack", "std", "str_",
        "subtract", "sum", "swapaxes", "take", "take_along_axis", "tan", "tanh", "tensordot", "tile",
        "timedelta64", "trace", "transpose", "trapezoid", "tri", "tril", "tril_indices", "tril_indices_from",
        "trim_zeros", "triu", "triu_indices", "triu_indices_from", "true_divide", "trunc", "typecodes",
        "typename", "ubyte", "ufunc", "uint", "uint16", "uint32", "uint64", "uint8", "uintc", "uintp", "ulong",
        "ulonglong", "union1d", "unique", "unique_all", "unique_counts", "unique_inverse", "unique_values",
        "unpackbits", "unravel_index", "unsignedinteger", "unstack", "unwrap", "ushort", "vander", "var",
        "vdot", "vecdot", "vecmat", "vectorize", "void", "vsplit", "vstack", "where", "zeros", "zeros_like"
    ),
    "numpy.linalg": (
        "LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
        "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot",
        "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "tensorinv",
        "tensorsolve", "trace", "vecdot", "vector_norm"
    ),
    "numpy.fft": (
        "fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift", "ihfft",
        "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"
    ),
    "numpy.random": (
        "BitGenerator", "Generator", "MT19937", "PCG64", "PCG64DXSM", "Philox", "RandomState", "SFC64",
        "SeedSequence", "beta", "binomial", "bytes", "chisquare", "choice", "default_rng", "dirichlet",
        "exponential", "f", "gamma", "geometric", "get_state", "gumbel", "hypergeometric", "laplace",
        "logistic", "lognormal", "logseries", "multinomial", "multivariate_normal", "negative_binomial",
        "noncentral_chisquare", "noncentral_f", "normal", "pareto", "permutation", "poisson", "power", "rand",
        "randint", "randn", "random", "random_integers", "random_sample", "ranf", "rayleigh", "sample", "seed",
        "set_state", "shuffle", "standard_cauchy", "standard_exponential", "standard_gamma", "standard_normal",
        "standard_t", "triangular", "uniform", "vonmises", "wald", "weibull", "zipf"
    ),
    "numpy.polynomial": (
        "Chebyshev", "Hermite", "HermiteE", "Laguerre", "Legendre", "Polynomial", "set_default_printstyle"
    ),
    "PIL.Image": (
        "ADAPTIVE", "AFFINE", "BICUBIC", "BILINEAR", "BOX", "DEFAULT_STRATEGY", "DecompressionBombError",
        "DecompressionBombWarning", "Dither", "EXTENT", "Exif", "FASTOCTREE", "FILTERED", "FIXED",
        "FLIP_LEFT_RIGHT", "FLIP_TOP_BOTTOM", "FLOYDSTEINBERG", "HAMMING", "HUFFMAN_ONLY", "Image",
        "ImagePointHandler", "ImagePointTransform", "ImageTransformHandler", "LANCZOS", "LIBIMAGEQUANT",
        "MAXCOVERAGE", "MAX_IMAGE_PIXELS", "MEDIANCUT", "MESH", "MKS2013", "MKS2021", "MODES", "NEAREST",
        "NONE", "ORDERED", "PERSPECTIVE", "Palette", "QUAD", "Quantize", "RASTERIZE", "RLE", "ROTATE_180",
        "ROTATE_270", "ROTATE_90", "Resampling", "TRANSPOSE", "TRANSVERSE", "TYPE_CHECKING", "Transform",
        "Transpose", "UnidentifiedImageError", "WARN_POSSIBLE_FORMATS", "WEB", "alpha_composite", "blend",
        "composite", "effect_mandelbrot", "effect_noise", "enum", "eval", "fromarray", "fromarrow",
        "frombuffer", "frombytes", "fromqimage", "fromqpixmap", "getmodebandnames", "getmodebands",
        "getmodebase", "getmodetype", "item", "linear_gradient", "merge", "new", "radial_gradient"
    ),
    "PIL.ImageOps": (
        "TYPE_CHECKING", "autocontrast", "colorize", "contain", "cover", "crop", "deform", "equalize",
        "exif_transpose", "expand", "fit", "flip", "grayscale", "invert", "mirror", "pad", "posterize", "scale",
        "solarize"
    ),
    "PIL.ImageEnhance": (
        "Brightness", "Color", "Contrast", "Sharpness"
    ),
    "PIL.ImageFilter": (
        "BLUR", "BoxBlur", "BuiltinFilter", "CONTOUR", "Color3DLUT", "DETAIL", "EDGE_ENHANCE",
        "EDGE_ENHANCE_MORE", "EMBOSS", "FIND_EDGES", "Filter", "GaussianBlur", "Kernel", "MaxFilter",
        "MedianFilter", "MinFilter", "ModeFilter", "MultibandFilter", "RankFilter", "SHARPEN", "SMOOTH",
        "SMOOTH_MORE", "TYPE_CHECKING", "UnsharpMask"
    ),
    "PIL.ImageDraw": (
        "Draw", "ImageDraw", "TYPE_CHECKING", "floodfill", "getdraw"
    ),
    "PIL.ImageStat": (
        "Global", "Stat"
    ),
    "matplotlib.pyplot": (
        "Annotation", "Arrow", "Artist", "AutoLocator", "AxLine", "Axes", "Circle", "Colorizer",
        "ColorizingArtist", "Colormap", "Figure", "FigureBase", "FixedFormatter", "FixedLocator",
        "FormatStrFormatter", "Formatter", "FuncFormatter", "GridSpec", "IndexLocator", "Line2D",
        "LinearLocator", "Locator", "LogFormatter", "LogFormatterExponent", "LogFormatterMathtext",
        "LogLocator", "MaxNLocator", "MultipleLocator", "Normalize", "NullFormatter", "NullLocator",
        "PolarAxes", "Polygon", "Rectangle", "ScalarFormatter", "Subplot", "SubplotSpec", "TYPE_CHECKING",
        "Text", "TickHelper", "acorr", "angle_spectrum", "annotate", "arrow", "autoscale", "autumn", "axes",
        "axhline", "axhspan", "axis", "axline", "axvline", "axvspan", "bar", "bar_label", "barbs", "barh",
        "bone", "box", "boxplot", "broken_barh", "cla", "clabel", "clf", "clim", "close", "cohere",
        "color_sequences", "colorbar", "colormaps", "contour", "contourf", "cool", "copper", "csd", "cycler",
        "delaxes", "draw", "ecdf", "errorbar", "eventplot", "figaspect", "figimage", "figlegend",
        "fignum_exists", "figtext", "figure", "fill", "fill_between", "fill_betweenx", "findobj", "flag", "gca",
        "gcf", "gci", "get_cmap", "get_figlabels", "get_fignums", "get_plot_commands", "get_scale_names",
        "gray", "grid", "grouped_bar", "hexbin", "hist", "hist2d", "hlines", "hot", "hsv", "imshow", "inferno",
        "jet", "legend", "locator_params", "loglog", "magma", "magnitude_spectrum", "margins", "matshow",
        "minorticks_off", "minorticks_on", "nipy_spectral", "pcolor", "pcolormesh", "phase_spectrum", "pie",
        "pie_label", "pink", "plasma", "plot", "polar", "prism", "psd", "quiver", "quiverkey", "rc", "rcParams",
        "rcParamsDefault", "rc_context", "rcdefaults", "rgrids", "sca", "scatter", "sci", "semilogx",
        "semilogy", "show", "specgram", "spring", "spy", "stackplot", "stairs", "stem", "step", "streamplot",
        "subplot", "subplot2grid", "subplot_mosaic", "subplot_tool", "subplots", "subplots_adjust", "summer",
        "suptitle", "table", "text", "thetagrids", "tick_params", "ticklabel_format", "tight_layout", "title",
        "tricontour", "tricontourf", "tripcolor", "triplot", "twinx", "twiny", "violinplot", "viridis",
        "vlines", "winter", "xcorr", "xkcd", "xlabel", "xlim", "xscale", "xticks", "ylabel", "ylim", "yscale",
        "yticks", "set_cmap", "setp",
    ),
    "matplotlib.patches": (
        "Affine2D", "Annulus", "Arc", "Arrow", "ArrowStyle", "BoxStyle", "Circle", "CirclePolygon",
        "ConnectionPatch", "ConnectionStyle", "Ellipse", "FancyArrow", "FancyArrowPatch", "FancyBboxPatch",
        "Patch", "Path", "PathPatch", "Polygon", "Rectangle", "RegularPolygon", "Shadow", "StepPatch", "Wedge",
        "bbox_artist", "draw_bbox"
    ),
    "matplotlib.colors": (
        "AsinhNorm", "BASE_COLORS", "BivarColormap", "BivarColormapFromImage", "BoundaryNorm", "CSS4_COLORS",
        "CenteredNorm", "ColorConverter", "ColorSequenceRegistry", "Colormap", "FuncNorm", "LightSource",
        "LinearSegmentedColormap", "ListedColormap", "LogNorm", "MultiNorm", "MultivarColormap", "NoNorm",
        "Norm", "Normalize", "PowerNorm", "SegmentedBivarColormap", "SymLogNorm", "TABLEAU_COLORS",
        "TwoSlopeNorm", "XKCD_COLORS", "cnames", "colorConverter", "from_levels_and_colors",
        "get_named_colors_mapping", "hex2color", "hsv_to_rgb", "is_color_like", "make_norm_from_scale",
        "rgb2hex", "rgb_to_hsv", "same_color", "to_hex", "to_rgb", "to_rgba", "to_rgba_array"
    ),
    "math": (
        "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "comb", "copysign", "cos",
        "cosh", "degrees", "dist", "e", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "factorial", "floor",
        "fmod", "frexp", "fsum", "gamma", "gcd", "hypot", "inf", "isclose", "isfinite", "isinf", "isnan",
        "isqrt", "lcm", "ldexp", "lgamma", "log", "log10", "log1p", "log2", "modf", "nan", "nextafter", "perm",
        "pi", "pow", "prod", "radians", "remainder", "sin", "sinh", "sqrt", "tan", "tanh", "tau", "trunc", "ulp"
    ),
    "statistics": (
        "NormalDist", "StatisticsError", "correlation", "covariance", "fmean", "geometric_mean",
        "harmonic_mean", "linear_regression", "mean", "median", "median_grouped", "median_high", "median_low",
        "mode", "multimode", "pstdev", "pvariance", "quantiles", "stdev", "variance"
    ),
    "collections": (
        "ChainMap", "Counter", "OrderedDict", "UserDict", "UserList", "defaultdict", "deque", "namedtuple"
    ),
    "collections.abc": (
        "AsyncGenerator", "AsyncIterable", "AsyncIterator", "Awaitable", "ByteString", "Callable", "Collection",
        "Container", "Coroutine", "Generator", "Hashable", "ItemsView", "Iterable", "Iterator", "KeysView",
        "Mapping", "MappingView", "MutableMapping", "MutableSequence", "MutableSet", "Reversible", "Sequence",
        "Set", "Sized", "ValuesView"
    ),
    "itertools": (
        "accumulate", "chain", "combinations", "combinations_with_replacement", "compress", "count", "cycle",
        "dropwhile", "filterfalse", "groupby", "islice", "pairwise", "permutations", "product", "repeat",
        "starmap", "takewhile", "tee", "zip_longest"
    ),
    "re": (
        "A", "ASCII", "DOTALL", "I", "IGNORECASE", "L", "LOCALE", "M", "MULTILINE", "Match", "NOFLAG",
        "Pattern", "RegexFlag", "S", "U", "UNICODE", "VERBOSE", "X", "compile", "error", "escape", "findall",
        "finditer", "fullmatch", "match", "purge", "search", "split", "sub", "subn", "template"
    ),
    "json": (
        "JSONDecodeError", "JSONDecoder", "JSONEncoder", "dumps", "loads"
    ),
    "random": (
        "Random", "SystemRandom", "betavariate", "choice", "choices", "expovariate", "gammavariate", "gauss",
        "getrandbits", "getstate", "lognormvariate", "normalvariate", "paretovariate", "randbytes", "randint",
        "random", "randrange", "sample", "seed", "setstate", "shuffle", "triangular", "uniform",
        "vonmisesvariate", "weibullvariate"
    ),
    "functools": ("reduce", "partial", "lru_cache", "cache", "cmp_to_key", "total_ordering"),
    # --- issue 10: the rest of the original runtime's everyday modules ---------------------------------
    "PIL.ImageChops": (
        "add", "add_modulo", "blend", "composite", "constant", "darker", "difference", "duplicate", "hard_light",
        "invert", "lighter", "logical_and", "logical_or", "logical_xor", "multiply", "offset", "overlay", "screen",
        "soft_light", "subtract", "subtract_modulo"
    ),
    "PIL.ImageColor": ("colormap", "getcolor", "getrgb"),
    # truetype is replaced by facades.bundled_truetype (bundled fonts only); the font classes open paths.
    "PIL.ImageFont": ("Layout", "TransposedFont", "load_default"),
    "matplotlib.cm": (
        "ColormapRegistry", "ScalarMappable", "Accent", "Blues", "BrBG", "BuGn", "BuPu", "CMRmap", "Dark2",
        "GnBu", "Greens", "Greys", "OrRd", "Oranges", "PRGn", "Paired", "Pastel1", "Pastel2", "PiYG", "PuBu",
        "PuBuGn", "PuOr", "PuRd", "Purples", "RdBu", "RdGy", "RdPu", "RdYlBu", "RdYlGn", "Reds", "Set1", "Set2",
        "Set3", "Spectral", "Wistia", "YlGn", "YlGnBu", "YlOrBr", "YlOrRd", "afmhot", "autumn", "binary", "bone",
        "brg", "bwr", "cividis", "cool", "coolwarm", "copper", "cubehelix", "flag", "gist_earth", "gist_gray",
        "gist_heat", "gist_ncar", "gist_rainbow", "gist_stern", "gist_yarg", "gnuplot", "gnuplot2", "gray",
        "hot", "hsv", "inferno", "jet", "magma", "nipy_spectral", "ocean", "pink", "plasma", "prism", "rainbow",
        "seismic", "spring", "summer", "tab10", "tab20", "tab20b", "tab20c", "terrain", "turbo", "twilight",
        "twilight_shifted", "viridis", "winter", "gray_r", "viridis_r", "jet_r", "hot_r", "coolwarm_r",
        "RdYlGn_r", "RdBu_r", "Greys_r", "plasma_r", "inferno_r", "magma_r"
    ),
    "matplotlib.gridspec": ("GridSpec", "GridSpecBase", "GridSpecFromSubplotSpec", "SubplotParams", "SubplotSpec"),
    "matplotlib.lines": (
        "AxLine", "Line2D", "MarkerStyle", "drawStyles", "fillStyles", "lineMarkers", "lineStyles", "ls_mapper",
        "CARETDOWN", "CARETDOWNBASE", "CARETLEFT", "CARETLEFTBASE", "CARETRIGHT", "CARETRIGHTBASE", "CARETUP",
        "CARETUPBASE", "TICKDOWN", "TICKLEFT", "TICKRIGHT", "TICKUP"
    ),
    # StrMethodFormatter formats through formatting.SafeFormatter (hardened in the fork server).
    "matplotlib.ticker": (
        "AsinhLocator", "AutoLocator", "AutoMinorLocator", "EngFormatter", "FixedFormatter", "FixedLocator",
        "FormatStrFormatter", "Formatter", "FuncFormatter", "IndexLocator", "LinearLocator", "Locator",
        "LogFormatter", "LogFormatterExponent", "LogFormatterMathtext", "LogFormatterSciNotation", "LogLocator",
        "LogitFormatter", "LogitLocator", "MaxNLocator", "MultipleLocator", "NullFormatter", "NullLocator",
        "PercentFormatter", "ScalarFormatter", "StrMethodFormatter", "SymmetricalLogLocator", "TickHelper"
    ),
    # make_dataclass builds a class from a namespace dict, so any special attribute: left out.
    "dataclasses": (
        "Field", "FrozenInstanceError", "InitVar", "KW_ONLY", "MISSING", "asdict", "astuple", "dataclass",
        "field", "fields", "is_dataclass", "replace"
    ),
    # Left out: get_type_hints/ForwardRef (evaluate strings), get_origin (hands out `type`), IO classes.
    "typing": (
        "AbstractSet", "Annotated", "Any", "AnyStr", "Callable", "ChainMap", "ClassVar", "Collection",
        "Container", "Counter", "DefaultDict", "Deque", "Dict", "Final", "FrozenSet", "Generator", "Generic",
        "Hashable", "ItemsView", "Iterable", "Iterator", "KeysView", "List", "Literal", "Mapping", "MappingView",
        "MutableMapping", "MutableSequence", "MutableSet", "NamedTuple", "NewType", "NoReturn", "NotRequired",
        "Optional", "OrderedDict", "Protocol", "Required", "Reversible", "Self", "Sequence", "Set", "Sized",
        "SupportsAbs", "SupportsFloat", "SupportsIndex", "SupportsInt", "SupportsRound", "TYPE_CHECKING", "Text",
        "Tuple", "Type", "TypeAlias", "TypeGuard", "TypeVar", "TypedDict", "Union", "ValuesView", "cast",
        "final", "overload", "runtime_checkable"
    ),
    "string": (  # not Formatter: it reads attribute chains from the format string
        "Template", "ascii_letters", "ascii_lowercase", "ascii_uppercase", "capwords", "digits", "hexdigits",
        "octdigits", "printable", "punctuation", "whitespace"
    ),
    "operator": (  # not attrgetter/methodcaller (act on names), setitem/delitem (writes past the guards)
        "abs", "add", "and_", "concat", "contains", "countOf", "eq", "floordiv", "ge", "getitem", "gt", "index",
        "indexOf", "inv", "invert", "is_", "is_not", "itemgetter", "le", "length_hint", "lshift", "lt", "matmul",
        "mod", "mul", "ne", "neg", "not_", "or_", "pos", "pow", "rshift", "sub", "truediv", "truth", "xor"
    ),
    "copy": ("Error", "copy", "deepcopy"),
    "heapq": ("heapify", "heappop", "heappush", "heappushpop", "heapreplace", "merge", "nlargest", "nsmallest"),
    "bisect": ("bisect", "bisect_left", "bisect_right", "insort", "insort_left", "insort_right"),
    "fractions": ("Fraction",),
    "decimal": (
        "BasicContext", "Clamped", "Context", "ConversionSyntax", "Decimal", "DecimalException", "DecimalTuple",
        "DefaultContext", "DivisionByZero", "DivisionImpossible", "DivisionUndefined", "ExtendedContext",
        "FloatOperation", "Inexact", "InvalidContext", "InvalidOperation", "MAX_EMAX", "MAX_PREC", "MIN_EMIN",
        "MIN_ETINY", "Overflow", "ROUND_05UP", "ROUND_CEILING", "ROUND_DOWN", "ROUND_FLOOR", "ROUND_HALF_DOWN",
        "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP", "Rounded", "Subnormal", "Underflow", "getcontext",
        "localcontext", "setcontext"
    ),
    # Not EnumType (a metaclass), global_enum* (write into a module's globals), pickle helpers; the functional
    # API's member names are checked in the fork server (facades.harden_enum).
    "enum": (
        "CONFORM", "CONTINUOUS", "EJECT", "Enum", "EnumCheck", "Flag", "FlagBoundary", "IntEnum", "IntFlag",
        "KEEP", "NAMED_FLAGS", "ReprEnum", "STRICT", "StrEnum", "UNIQUE", "auto", "member", "nonmember", "unique",
        "verify"
    ),
    "base64": (  # not encode/decode: they take file objects
        "a85decode", "a85encode", "b16decode", "b16encode", "b32decode", "b32encode", "b32hexdecode",
        "b32hexencode", "b64decode", "b64encode", "b85decode", "b85encode", "decodebytes", "encodebytes",
        "standard_b64decode", "standard_b64encode", "urlsafe_b64decode", "urlsafe_b64encode"
    ),
    "io": ("BytesIO", "SEEK_CUR", "SEEK_END", "SEEK_SET", "StringIO", "UnsupportedOperation"),
    "time": ("perf_counter", "time"),
    "warnings": ("catch_warnings", "filterwarnings", "resetwarnings", "simplefilter", "warn"),
    # os.path's pure string functions (no abspath/relpath/realpath: they read the working directory).
    "os.path": (
        "altsep", "basename", "commonpath", "commonprefix", "curdir", "dirname", "extsep", "isabs", "join",
        "normcase", "normpath", "pardir", "pathsep", "sep", "split", "splitdrive", "splitext"
    ),
    "os": ("altsep", "curdir", "extsep", "linesep", "pardir", "pathsep", "sep"),
    # Small pure modules models reach for in tool code (colour conversions, hashes of frames, timestamps).
    "colorsys": ("hls_to_rgb", "hsv_to_rgb", "rgb_to_hls", "rgb_to_hsv", "rgb_to_yiq", "yiq_to_rgb"),
    "cmath": (
        "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "e", "exp", "inf", "infj", "isclose",
        "isfinite", "isinf", "isnan", "log", "log10", "nan", "nanj", "phase", "pi", "polar", "rect", "sin", "sinh",
        "sqrt", "tan", "tanh", "tau"
    ),
    "textwrap": ("TextWrapper", "dedent", "fill", "indent", "shorten", "wrap"),
    "hashlib": (  # not new (by name) or file_digest (reads a file object)
        "blake2b", "blake2s", "md5", "sha1", "sha224", "sha256", "sha384", "sha3_256", "sha3_512", "sha512"
    ),
    "datetime": ("MAXYEAR", "MINYEAR", "date", "datetime", "time", "timedelta", "timezone"),
    "abc": ("ABC", "abstractmethod"),  # not ABCMeta: a metaclass
}
