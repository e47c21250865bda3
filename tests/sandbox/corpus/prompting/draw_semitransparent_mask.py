# category: prompting
# style: qwen
# needs: image
# figures: 1
import numpy as np
from PIL import Image
import matplotlib.pyplot as plt

arr = np.array(image_clue_0).astype(float)
mask = np.zeros(arr.shape[:2], bool)
mask[210:280, 80:250] = True
color = np.array([0, 255, 0], float)
arr[mask] = 0.5 * arr[mask] + 0.5 * color
plt.imshow(arr.astype(np.uint8))
plt.axis("off")
plt.show()
