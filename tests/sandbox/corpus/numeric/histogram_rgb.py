# category: numeric
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

arr = np.array(image_clue_0)
plt.figure(figsize=(10, 5))
for i, color in enumerate(["red", "green", "blue"]):
    hist, bins = np.histogram(arr[..., i], bins=256, range=(0, 256))
    plt.plot(bins[:-1], hist, color=color, label=f"{color} channel")
plt.xlabel("Pixel value")
plt.ylabel("Count")
plt.title("RGB histogram")
plt.legend()
plt.grid(alpha=0.3)
plt.show()
