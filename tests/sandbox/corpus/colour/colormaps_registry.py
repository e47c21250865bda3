# category: colour
# style: claude
# needs: image
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib import colormaps
import numpy as np

gray = np.asarray(image_clue_0.convert("L"))
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, name in zip(axes, ["viridis", "jet", "twilight"]):
    ax.imshow(gray, cmap=colormaps[name])
    ax.set_title(name)
    ax.axis('off')
plt.show()
