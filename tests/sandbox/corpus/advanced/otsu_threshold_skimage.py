# category: advanced
# style: gpt4
# needs: image
# expect: Otsu threshold
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from skimage import color, filters

gray = color.rgb2gray(np.array(image_clue_0))
thresh = filters.threshold_otsu(gray)
binary = gray > thresh
print(f"Otsu threshold: {thresh:.3f}")
print(f"Foreground fraction: {binary.mean():.2%}")

fig, axes = plt.subplots(1, 2, figsize=(12, 5))
axes[0].imshow(gray, cmap="gray"); axes[0].set_title("Grayscale")
axes[1].imshow(binary, cmap="gray"); axes[1].set_title("Otsu binary")
for a in axes:
    a.axis("off")
plt.show()
