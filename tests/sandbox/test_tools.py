"""The runtime has the original's packages and habits (issue 10): the tools extra through facades, saving
figures and images (captured as if shown, or into memory), fonts, the everyday stdlib modules."""

import pytest
from PIL import Image

from pyvision_envs.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(images=[Image.new("RGB", (40, 30), (200, 10, 10))], timeout_s=20) as sandbox:
        yield sandbox


def ok(sb, code):
    r = sb.run(code)
    assert r.error is None, r.error
    return r


@pytest.mark.parametrize("code, expected", [
    ("from scipy import ndimage\nlab, n = ndimage.label(np.eye(4) > 0)\nprint(n)", "4\n"),
    ("from scipy.spatial import ConvexHull\nprint(len(ConvexHull(np.array([[0, 0], [1, 0], [0, 1], [1, 1], "
     "[0.5, 0.5]]), qhull_options='Qbb Qc').vertices))", "4\n"),
    ("from scipy import stats\nprint(round(stats.pearsonr([1, 2, 3], [2, 4, 6.5])[0], 2))", "1.0\n"),
    ("from skimage import filters, measure\nprint(len(measure.regionprops(measure.label(np.eye(5) > 0))))", "1\n"),
    ("from sklearn.cluster import KMeans\nk = KMeans(2, n_init=2, random_state=0).fit(np.array([[0.], [0.1], [5.], "
     "[5.1]]))\nprint(sorted(set(k.labels_.tolist())))", "[0, 1]\n"),
    ("from sklearn.neighbors import NearestNeighbors\nnn = NearestNeighbors(n_neighbors=2, n_jobs=-1)\n"
     "print(nn.fit(np.eye(3)).kneighbors(np.eye(3)[:1])[1].shape)", "(1, 2)\n"),
    ("import cv2\ng = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2GRAY)\nprint(g.shape, cv2.countNonZero(g))",
     "(30, 40) 1200\n"),
    ("import cv2\nok, buf = cv2.imencode('.png', np.zeros((4, 4), np.uint8))\n"
     "print(ok, cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).shape)", "True (4, 4)\n"),
    ("import io, base64\nb = io.BytesIO()\nimage_clue_0.save(b, 'PNG')\ndata = base64.b64encode(b.getvalue())\n"
     "im = Image.open(io.BytesIO(base64.b64decode(data)))\nprint(im.size, im.format, im.getpixel((0, 0)))",
     "(40, 30) PNG (200, 10, 10)\n"),
    ("import io\nfig, ax = plt.subplots(figsize=(2, 1), dpi=50)\nbuf = io.BytesIO()\nfig.savefig(buf, format='png')\n"
     "plt.close(fig)\nprint(Image.open(buf).size)", "(100, 50)\n"),
    ("from PIL import ImageFont, ImageDraw, ImageChops, ImageColor\nf = ImageFont.truetype('DejaVuSans.ttf', 12)\n"
     "ImageDraw.Draw(image_clue_0.copy()).text((0, 0), 'hi', font=f)\n"
     "print(ImageColor.getrgb('red'), ImageChops.difference(image_clue_0, image_clue_0).getbbox())",
     "(255, 0, 0) None\n"),
    ("from PIL import ImageFont\ntry:\n    f = ImageFont.truetype('arial.ttf', 20)\nexcept OSError:\n"
     "    f = ImageFont.load_default(20)\nprint(type(f).__name__)", "FreeTypeFont\n"),
    ("import matplotlib.cm as cm\nfrom matplotlib import colormaps, gridspec, ticker, lines\n"
     "print(cm.viridis(0.0)[:2] == colormaps['viridis'](0.0)[:2], gridspec.GridSpec(1, 2).ncols)", "True 2\n"),
    ("import os\nprint(os.path.join('out', 'a.png'), os.path.splitext('a.png')[1], os.sep)", "out/a.png .png /\n"),
    ("import enum\nclass Color(enum.Enum):\n    RED = 1\nprint(Color.RED.name, enum.Enum('E', 'A B').B.value)",
     "RED 2\n"),
    ("import decimal, fractions, heapq, bisect, copy, string, operator, time, warnings, typing\n"
     "warnings.filterwarnings('ignore')\ndecimal.getcontext().prec = 5\nt0 = time.perf_counter()\n"
     "print(decimal.Decimal(1) / 3, fractions.Fraction(1, 3) * 3, heapq.nsmallest(1, [3, 1]), "
     "bisect.bisect([1, 3], 2), copy.deepcopy([[1]]), string.digits[:3], operator.itemgetter(1)('ab'))",
     "0.33333 1 [1] 1 [[1]] 012 b\n"),
    ("import sys, traceback, colorsys, hashlib, datetime, textwrap, cmath\nfrom abc import ABC, abstractmethod\n"
     "class Shape(ABC):\n    @abstractmethod\n    def area(self): ...\nclass Sq(Shape):\n    def __init__(self, s):\n"
     "        self.s = s\n    def area(self):\n        return self.s ** 2\nprint(Sq(3).area(), vars(Sq(2)))\n"
     "try:\n    1 / 0\nexcept Exception:\n    print(traceback.format_exc().splitlines()[-2:])\n"
     "sys.stdout.write('out\\n')\n"
     "print(colorsys.rgb_to_hsv(1, 0, 0), hashlib.md5(b'x').hexdigest()[:6], cmath.sqrt(-1), "
     "datetime.datetime.strptime('2024-01-02', '%Y-%m-%d').date(), textwrap.shorten('a b c d e f', 8))",
     "9 {'s': 2}\n['    1 / 0', 'ZeroDivisionError: division by zero']\nout\n"
     "(0.0, 1.0, 1) 9dd4e4 1j 2024-01-02 a [...]\n"),
    ("from pprint import pprint, pformat\npprint({'b': 1, 'a': [1, 2]})\nprint(pformat((1, 2)))",
     "{'a': [1, 2], 'b': 1}\n(1, 2)\n"),
    ("import functools\ndef deco(f):\n    @functools.wraps(f)\n    def inner(*a):\n        return f(*a)\n"
     "    return inner\n@deco\ndef area(w, h):\n    '''Area.'''\n    return w * h\nprint(area(2, 3), area.__name__, "
     "area.__doc__)", "6 area Area.\n"),
])
def test_tool_programs_run(sb, code, expected):
    assert ok(sb, code).stdout == expected


def test_savefig_to_a_path_captures_the_figure_once(sb):
    # No file is written (the escape suite checks that at a real path, in both modes).
    r = ok(sb, "plt.plot([1, 2])\nplt.savefig('plot.png', dpi=50)\nplt.show()")
    assert len(r.images) == 1
    r = ok(sb, "fig, ax = plt.subplots()\nax.plot([1, 2])\nfig.savefig('a.png')\nax.plot([2, 1])\nplt.show()")
    assert len(r.images) == 2  # saved, then changed: the changed figure is shown too
    r = ok(sb, "image_clue_0.crop((0, 0, 10, 10)).save('crop.png')")
    assert [im.size for im in r.images] == [(10, 10)]


def test_traceback_print_exc_prints_the_cells_own_frames_into_the_output(sb):
    r = ok(sb, "import traceback\ntry:\n    int('x')\nexcept ValueError:\n    traceback.print_exc()")
    assert r.stdout.startswith("Traceback (most recent call last):\n  Cell ") and "line 3, in <module>" in r.stdout
    assert r.stdout.endswith("ValueError: invalid literal for int() with base 10: 'x'\n")
    assert "site-packages" not in r.stdout and "pyvision_envs" not in r.stdout


def test_opening_files_is_refused_naming_what_to_use(sb):
    r = sb.run("Image.open('photo.jpg')")
    assert "PermissionError" in r.error and "io.BytesIO" in r.error and "image_clue_0" in r.error
    r = sb.run("from PIL import ImageFont\nImageFont.truetype('/usr/share/fonts/x.ttf', 10)")
    assert "OSError" in r.error and "load_default" in r.error
