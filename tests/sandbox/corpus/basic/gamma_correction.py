# category: basic
# style: qwen
# needs: image
# figures: 1
import numpy as np
from PIL import Image
import matplotlib.pyplot as plt

arr = np.asarray(image_clue_0).astype(np.float32) / 255.0
gamma = 0.6
corrected = np.power(arr, gamma)
out = Image.fromarray((corrected * 255).astype(np.uint8))
plt.imshow(out)
plt.title(f"gamma={gamma}")
plt.axis('off')
plt.show()
