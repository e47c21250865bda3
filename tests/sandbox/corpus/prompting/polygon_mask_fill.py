# category: prompting
# style: gpt4
# needs: image
# expect: Polygon area
# figures: 1
from PIL import Image, ImageDraw
import numpy as np
import matplotlib.pyplot as plt

polygon = [(60, 200), (270, 200), (270, 310), (60, 310)]
mask = Image.new("L", image_clue_0.size, 0)
ImageDraw.Draw(mask).polygon(polygon, fill=255, outline=255)
mask_arr = np.array(mask) > 0
print(f"Polygon area: {mask_arr.sum()} pixels")
masked = np.array(image_clue_0) * mask_arr[..., None]
plt.imshow(masked.astype(np.uint8))
plt.axis("off")
plt.show()
