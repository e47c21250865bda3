"""A one-minute look at the sandbox: one episode's worth of model-written code on a generated image.

    python -m pyvision_envs.demo

It draws a large canvas with a small red square somewhere, then runs three "model turns" in one sandbox:
locate the square with numpy, crop and zoom it with PIL and show it with matplotlib, and try to escape.
Each turn prints what came back: text, figures (bound as ``image_clue_k``), errors and timings.
"""

from __future__ import annotations

import time

import numpy as np
from PIL import Image, ImageDraw

from pyvision_envs.sandbox import Sandbox

TURNS = [
    (
        "find the target",
        "arr = np.array(image_clue_0)\n"
        "mask = (arr[:, :, 0] > 200) & (arr[:, :, 1] < 50) & (arr[:, :, 2] < 50)\n"
        "ys, xs = np.nonzero(mask)\n"
        "box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)\n"
        "print('red pixels:', int(mask.sum()), 'bounding box:', box)",
    ),
    (
        "crop, zoom and show (state persists: `box` is still defined)",
        "x0, y0, x1, y1 = box\n"
        "crop = image_clue_0.crop((x0 - 20, y0 - 20, x1 + 20, y1 + 20)).resize((240, 240), Image.NEAREST)\n"
        "plt.figure(figsize=(3, 3))\nplt.imshow(crop)\nplt.title('zoomed')\nplt.axis('off')\nplt.show()\n"
        "print('the figure is now bound as image_clue_1')",
    ),
    (
        "use the shown figure, then try to read a host file (refused, as data)",
        "print('image_clue_1 size:', image_clue_1.size)\nprint(open('/etc/passwd').read())",
    ),
    ("try a module that reaches the OS (refused)", "import numpy as np\nnp.save('/tmp/owned.npy', np.zeros(3))"),
]


def make_image(seed: int = 0) -> tuple[Image.Image, tuple[int, int]]:
    """A 1600x1200 cluttered canvas with one small red square; returns the image and the square's corner."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (1600, 1200), (235, 235, 235))
    draw = ImageDraw.Draw(img)
    for _ in range(400):
        x, y = rng.integers(0, 1580, 2)
        color = tuple(int(c) for c in rng.integers(40, 180, 3))
        draw.ellipse([x, y, x + 14, y + 14], fill=color)
    tx, ty = int(rng.integers(100, 1500)), int(rng.integers(100, 1100))
    draw.rectangle([tx, ty, tx + 11, ty + 11], fill=(230, 10, 10))
    return img, (tx, ty)


def main() -> None:
    """Run the demo episode and print each turn's result."""
    image, (tx, ty) = make_image()
    print(f"Generated a {image.width}x{image.height} image; the red square's corner is at ({tx}, {ty}).\n")
    t0 = time.perf_counter()
    with Sandbox(images=[image], timeout_s=10) as sb:
        sb.start()
        print(f"sandbox started in {1000 * (time.perf_counter() - t0):.1f} ms (first start also boots the fork server)")
        for title, code in TURNS:
            r = sb.run(code)
            print(f"\n=== turn: {title} ({1000 * r.seconds:.1f} ms)")
            print("code:\n  " + code.replace("\n", "\n  "))
            if r.stdout:
                print("stdout:\n  " + r.stdout.rstrip().replace("\n", "\n  "))
            for name, img in zip(r.image_names, r.images, strict=True):
                print(f"figure: {name} {img.width}x{img.height}")
            if r.error:
                print("error (fed back to the model):\n  " + r.error.replace("\n", "\n  "))
        info = sb.worker_info
    print(f"\nworker confinement: uid={info.get('uid')} seccomp={info.get('seccomp')}")


if __name__ == "__main__":
    main()
