# category: basic
# style: claude
# needs: image
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image, ImageOps

img = image_clue_0
variants = {
    "autocontrast": ImageOps.autocontrast(img, cutoff=2),
    "inverted": ImageOps.invert(img),
    "posterized": ImageOps.posterize(img, 3),
    "solarized": ImageOps.solarize(img, threshold=128),
}
fig, axes = plt.subplots(2, 2, figsize=(10, 8))
for ax, (name, im) in zip(axes.ravel(), variants.items()):
    ax.imshow(im)
    ax.set_title(name)
    ax.axis('off')
plt.tight_layout()
plt.show()
