# category: colour
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import rgb_to_hsv, hsv_to_rgb

hsv = rgb_to_hsv(np.asarray(image_clue_0) / 255.0)
hue = hsv[..., 0].ravel()
sat = hsv[..., 1].ravel()
hist, edges = np.histogram(hue[sat > 0.3], bins=36, range=(0, 1))
colors = hsv_to_rgb(np.stack([edges[:-1], np.ones(36), np.ones(36)], axis=1))
plt.figure(figsize=(10, 4))
plt.bar(edges[:-1] * 360, hist, width=10, color=colors, align="edge")
plt.xlabel("Hue (degrees)")
plt.ylabel("Saturated pixel count")
plt.title("Hue distribution of saturated pixels")
plt.show()
