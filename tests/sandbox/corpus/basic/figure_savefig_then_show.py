# category: basic
# style: claude
# needs: image
# figures: 1
import os
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

output_dir = "."
fig, ax = plt.subplots(figsize=(8, 6))
ax.imshow(image_clue_0)
ax.set_title("Full image with grid")
ax.set_xticks(range(0, image_clue_0.width, 64))
ax.set_yticks(range(0, image_clue_0.height, 64))
ax.grid(True, color="white", linewidth=0.5, alpha=0.6)
plt.savefig(os.path.join(output_dir, "grid_overlay.png"), bbox_inches="tight")
plt.show()
