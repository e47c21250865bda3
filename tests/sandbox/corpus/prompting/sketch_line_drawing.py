# category: prompting
# style: claude
# needs: image
# figures: 1
from PIL import ImageFilter, ImageOps, ImageChops
import matplotlib.pyplot as plt

# Make a pencil-sketch version: invert, blur, colour-dodge
gray = ImageOps.grayscale(image_clue_0)
inverted = ImageOps.invert(gray)
blurred = inverted.filter(ImageFilter.GaussianBlur(8))
sketch = ImageChops.add(gray, blurred, scale=1.0)
edges = gray.filter(ImageFilter.FIND_EDGES)
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
axes[0].imshow(sketch, cmap="gray"); axes[0].set_title("sketch")
axes[1].imshow(ImageOps.invert(edges), cmap="gray"); axes[1].set_title("line drawing")
for a in axes:
    a.axis("off")
plt.show()
