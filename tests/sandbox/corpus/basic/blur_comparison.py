# category: basic
# style: gpt4
# needs: image
# figures: 1
import matplotlib.pyplot as plt
from PIL import ImageFilter

img = image_clue_0
radii = [0, 2, 5, 10]
fig, axes = plt.subplots(1, len(radii), figsize=(16, 4))
for ax, r in zip(axes, radii):
    out = img if r == 0 else img.filter(ImageFilter.GaussianBlur(radius=r))
    ax.imshow(out)
    ax.set_title(f"Gaussian blur r={r}")
    ax.axis('off')
plt.tight_layout()
plt.show()
