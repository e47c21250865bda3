# category: advanced
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from scipy import ndimage

# Compute gradient magnitude with Sobel filters to highlight object boundaries
gray = np.array(image_clue_0.convert("L"), dtype=float)
sx = ndimage.sobel(gray, axis=1)
sy = ndimage.sobel(gray, axis=0)
magnitude = np.hypot(sx, sy)
magnitude *= 255.0 / magnitude.max()

plt.figure(figsize=(10, 7))
plt.imshow(magnitude, cmap="magma")
plt.colorbar(label="gradient magnitude")
plt.title("Sobel gradient magnitude")
plt.axis("off")
plt.show()
print(f"Max gradient location: {np.unravel_index(np.argmax(magnitude), magnitude.shape)}")
