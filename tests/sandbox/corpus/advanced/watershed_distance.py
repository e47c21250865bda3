# category: advanced
# style: gpt4
# needs: image
# expect: segments
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from scipy import ndimage as ndi
from skimage.segmentation import watershed
from skimage.feature import peak_local_max

arr = np.array(image_clue_0.convert("L").resize((256, 192)))
mask = arr < 90
distance = ndi.distance_transform_edt(mask)
coords = peak_local_max(distance, min_distance=10, labels=mask)
markers = np.zeros(distance.shape, dtype=int)
markers[tuple(coords.T)] = np.arange(1, len(coords) + 1)
labels = watershed(-distance, markers, mask=mask)
print("segments:", labels.max())

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
axes[0].imshow(mask, cmap="gray"); axes[0].set_title("mask")
axes[1].imshow(distance, cmap="viridis"); axes[1].set_title("distance")
axes[2].imshow(labels, cmap="nipy_spectral"); axes[2].set_title("watershed")
for a in axes:
    a.axis("off")
plt.show()
