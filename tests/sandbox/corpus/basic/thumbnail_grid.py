# category: basic
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

img = image_clue_0
w, h = img.size
tile_w, tile_h = w // 4, h // 3
fig, axes = plt.subplots(3, 4, figsize=(12, 8))
for row in range(3):
    for col in range(4):
        box = (col * tile_w, row * tile_h, (col + 1) * tile_w, (row + 1) * tile_h)
        tile = img.crop(box)
        axes[row, col].imshow(tile)
        axes[row, col].set_title(f"r{row} c{col}", fontsize=8)
        axes[row, col].axis('off')
plt.suptitle("Image tiles")
plt.tight_layout()
plt.show()
