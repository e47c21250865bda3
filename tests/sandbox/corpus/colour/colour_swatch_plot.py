# category: colour
# style: gpt4
# needs: image
# figures: 1
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
import matplotlib.colors as mcolors

points = {"car": (165, 240), "sign": (350, 160), "sun": (435, 65), "grass": (450, 350), "sky": (50, 50)}
fig, ax = plt.subplots(figsize=(8, 2))
for i, (name, xy) in enumerate(points.items()):
    rgb = image_clue_0.getpixel(xy)
    ax.add_patch(Rectangle((i, 0), 1, 1, color=[c / 255 for c in rgb]))
    ax.text(i + 0.5, -0.2, f"{name}\n{mcolors.to_hex([c / 255 for c in rgb])}", ha="center", va="top", fontsize=8)
ax.set_xlim(0, len(points))
ax.set_ylim(-0.6, 1)
ax.axis("off")
plt.show()
