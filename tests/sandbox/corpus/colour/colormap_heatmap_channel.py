# category: colour
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.cm as cm

red_ratio = np.asarray(image_clue_0, dtype=float)
red_ratio = red_ratio[..., 0] / (red_ratio.sum(axis=2) + 1)
cmap = cm.get_cmap("inferno") if hasattr(cm, "get_cmap") else plt.colormaps["inferno"]
colored = cmap(red_ratio / red_ratio.max())
plt.figure(figsize=(9, 6))
plt.imshow(colored)
plt.title("Red ratio heat map")
plt.axis("off")
plt.show()
