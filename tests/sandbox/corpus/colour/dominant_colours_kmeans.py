# category: colour
# style: gpt4
# needs: image
# expect: Dominant colours
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans

# Find the dominant colours with k-means on a downsampled copy (faster)
small = image_clue_0.copy()
small.thumbnail((150, 150))
pixels = np.array(small).reshape(-1, 3)
km = KMeans(n_clusters=5, random_state=42, n_init=10)
labels = km.fit_predict(pixels)
counts = np.bincount(labels)
order = np.argsort(-counts)
centers = km.cluster_centers_.astype(int)

print("Dominant colours (RGB, share):")
for i in order:
    print(f"  {tuple(centers[i])}: {counts[i] / counts.sum():.1%}")

plt.figure(figsize=(8, 2))
plt.imshow([centers[order].astype(np.uint8)])
plt.axis("off")
plt.title("Palette")
plt.show()
