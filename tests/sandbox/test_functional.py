import threading

import numpy as np
from PIL import Image

from pyvision_envs.sandbox import Sandbox


class ArrayVideo:
    """A real in-memory video source: frame i is filled with the value i."""

    def __init__(self, n=50, h=24, w=32, fps=10.0):
        self.num_frames, self.height, self.width, self.fps = n, h, w, fps

    def get_batch(self, indices):
        return np.stack([np.full((self.height, self.width, 3), i, np.uint8) for i in indices])


def test_state_persists_within_an_episode_and_not_across(image):
    with Sandbox(images=[image]) as a, Sandbox(images=[image]) as b:
        assert a.run("x = 41").ok
        assert a.run("x += 1\nprint(x)").stdout == "42\n"
        r = b.run("print(x)")
        assert "NameError" in r.error and "'x'" in r.error


def test_input_images_are_bound_as_copies(image):
    with Sandbox(images=[image]) as sb:
        r = sb.run("print(image_clue_0.size, image_clue_0.getpixel((5, 5)))\nimage_clue_0.putpixel((5, 5), (0, 0, 0))")
        assert r.stdout == "(120, 80) (250, 0, 0)\n"
    assert image.getpixel((5, 5)) == (250, 0, 0)


def test_plt_show_returns_and_binds_figures(sandbox):
    r = sandbox.run(
        "fig = plt.figure(figsize=(2, 1), dpi=50)\nplt.imshow(np.asarray(image_clue_0.crop((0, 0, 10, 10))))\nplt.show()"
    )
    assert r.ok, r.error
    assert len(r.images) == 1 and r.images[0].size == (100, 50) and r.images[0].mode == "RGB"
    assert r.image_names == ("image_clue_1",)
    r2 = sandbox.run("print(image_clue_1.size)")
    assert r2.stdout == "(100, 50)\n"
    assert len(sandbox.images) == 2


def test_show_helper_and_image_show_capture_without_a_viewer(sandbox):
    r = sandbox.run("show(np.zeros((7, 9), dtype=np.uint8))\nimage_clue_0.crop((0, 0, 4, 4)).show()")
    assert r.ok, r.error
    assert [im.size for im in r.images] == [(9, 7), (4, 4)]
    assert r.image_names == ("image_clue_1", "image_clue_2")


def test_error_text_names_the_user_line_and_no_host_frames(sandbox):
    r = sandbox.run("a = 1\ndef f(v):\n    return np.array([1, 2])[v]\nf(7)")
    assert "Cell 1, line 4" in r.error and "Cell 1, line 3, in f" in r.error
    assert "IndexError" in r.error
    assert "site-packages" not in r.error and "pyvision_envs" not in r.error


def test_syntax_error_is_data(sandbox):
    r = sandbox.run("def broken(:\n  pass")
    assert r.error.startswith("SyntaxError") and not r.timed_out
    assert sandbox.run("print('still fine')").stdout == "still fine\n"


def test_common_agent_code_runs(sandbox):
    code = """
import numpy as np
from PIL import Image, ImageOps, ImageEnhance, ImageFilter, ImageDraw, ImageStat
import matplotlib.pyplot as plt
import matplotlib.patches as patches
import math, statistics, collections, itertools, functools, re, json, random
w, h = image_clue_0.size
crop = image_clue_0.crop((0, 0, w // 2, h // 2)).resize((w, h), Image.Resampling.LANCZOS)
gray = ImageOps.grayscale(crop)
arr = np.array(gray, dtype=float)
arr[0, 0] = 1.0
stats = ImageStat.Stat(crop).mean
draw = ImageDraw.Draw(crop)
draw.rectangle([1, 1, 10, 10], outline=(255, 0, 0))
counts = collections.Counter([1, 1, 2])
fig, ax = plt.subplots()
ax.imshow(crop)
ax.add_patch(patches.Rectangle((1, 1), 5, 5, fill=False))
ax.set_title(f"mean={statistics.mean([1, 2, 3]):.1f}")
plt.show()
print("{:.1f}".format(math.pi), json.dumps({"a": counts[1]}), re.findall(r"\\d", "a1b2"))
"""
    r = sandbox.run(code)
    assert r.ok, r.error
    assert r.stdout == '3.1 {"a": 2} [\'1\', \'2\']\n'
    assert len(r.images) == 1


def test_range_is_not_capped(sandbox):
    assert sandbox.run("print(sum(range(100000)))").stdout == "4999950000\n"


def test_output_is_truncated_with_the_middle_elided(image):
    with Sandbox(images=[image], max_output_chars=200) as sb:
        r = sb.run("for i in range(10000):\n    print('line', i)")
    assert r.stdout.startswith("line 0\n") and r.stdout.rstrip().endswith("line 9999")
    assert "characters elided" in r.stdout and len(r.stdout) < 400


def test_timeout_kills_and_next_call_reports_lost_state(image):
    with Sandbox(images=[image], timeout_s=0.5) as sb:
        assert sb.run("x = 1\nshow(np.zeros((3, 3)))").ok
        r = sb.run("while True:\n    pass")
        assert r.timed_out and "TimeoutError" in r.error and 0.5 <= r.seconds < 3
        r2 = sb.run("print(image_clue_1.size)\nprint(x)")
        assert r2.state_lost
        assert r2.stdout == "(3, 3)\n" and "NameError" in r2.error
        assert not sb.run("print(1)").state_lost


def test_system_exit_and_keyboard_interrupt_are_contained(sandbox):
    for exc in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
        r = sandbox.run(f"raise {exc}('bye')")
        assert exc in r.error
        assert sandbox.run("print('alive')").stdout == "alive\n"


def test_many_sandboxes_in_parallel_threads(image):
    errors = []

    def work(k):
        try:
            with Sandbox(images=[image]) as sb:
                for i in range(5):
                    r = sb.run(f"v = {k} * 100 + {i}\nprint(v)")
                    assert r.stdout == f"{k * 100 + i}\n", r
        except Exception as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_video_clue_reads_frames_from_the_host(image):
    src = ArrayVideo()
    with Sandbox(video=src) as sb:
        r = sb.run(
            "v = video_clue_0\nprint(len(v), v.get_avg_fps(), v[3][0, 0, 0], v[-1][0, 0, 0])\n"
            "b = v.get_batch([0, 10, 20]).asnumpy()\nprint(b.shape, b[:, 0, 0, 0].tolist())\n"
            "print(v.get_frame_timestamp(10).tolist())"
        )
        assert r.ok, r.error
        assert r.stdout.splitlines() == ["50 10.0 3 49", "(3, 24, 32, 3) [0, 10, 20]", "[1.0, 1.100000023841858]"]
        assert sb.frames_decoded == 5
        r = sb.run("v[50]")
        assert "IndexError" in r.error


def test_bad_inputs_raise_clear_errors():
    import pytest

    with pytest.raises(TypeError, match=r"images\[0\]"):
        Sandbox(images=["not an image"])
    with pytest.raises(ValueError, match="memory_mb"):
        Sandbox(memory_mb=10)
    with Sandbox() as sb, pytest.raises(TypeError, match="str"):
        sb.run(b"print(1)")


def test_figure_pixel_cap(image):
    with Sandbox(images=[image], max_figure_pixels=10_000) as sb:
        r = sb.run("show(np.zeros((1000, 1000, 3), dtype=np.uint8))")
    assert r.images[0].width * r.images[0].height <= 10_000


def test_rgba_and_grayscale_inputs():
    imgs = [Image.new("RGBA", (4, 4), (1, 2, 3, 4)), Image.new("L", (3, 3), 7)]
    with Sandbox(images=imgs) as sb:
        r = sb.run("print(image_clue_0.mode, image_clue_1.mode, image_clue_1.getpixel((0, 0)))")
    assert r.stdout == "RGBA L 7\n"


def test_numpy_methods_that_import_lazily_from_c(sandbox):
    r = sandbox.run(
        "a = np.arange(6.0).reshape(2, 3)\nprint(a.mean(), a.std(), a.var(axis=0).tolist())\n"
        "print(a)\nprint(f'{a[0]}')\nprint(repr(np.array([1.5])))"
    )
    assert r.ok, r.error
    assert r.stdout.splitlines()[0].startswith("2.5 1.70")
    assert "[[0. 1. 2.]" in r.stdout and "array([1.5])" in r.stdout


def test_common_numpy_calls_after_confinement(sandbox):
    code = (
        "a = np.arange(12.0).reshape(3, 4)\n"
        "print(np.median(a), np.percentile(a, 50), np.histogram(a)[0].sum(), np.unique(a).size)\n"
        "print(round(float(np.linalg.norm(a)), 3), np.polyfit([0, 1, 2], [1, 3, 5], 1).round(3).tolist())\n"
        "print(np.random.default_rng(0).integers(0, 3, 2).shape, np.fft.fft(a[0]).shape)"
    )
    r = sandbox.run(code)
    assert r.ok, r.error
    assert r.stdout.splitlines() == ["5.5 5.5 12 12", "22.494 [2.0, 1.0]", "(2,) (4,)"]
