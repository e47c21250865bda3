# category: colour
# style: qwen
# needs: image
# expect: gains
# figures: 1
import numpy as np
from PIL import Image
import matplotlib.pyplot as plt

arr = np.asarray(image_clue_0).astype(np.float32)
means = arr.reshape(-1, 3).mean(0)
gains = means.mean() / means
print("gains", gains.round(3))
balanced = np.clip(arr * gains, 0, 255).astype(np.uint8)
plt.imshow(Image.fromarray(balanced))
plt.axis('off')
plt.show()
