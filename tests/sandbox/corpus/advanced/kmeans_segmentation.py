# category: advanced
# style: gpt4
# needs: image
# expect: cluster
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans

small = image_clue_0.resize((128, 96))
pixels = np.array(small).reshape(-1, 3).astype(float)
kmeans = KMeans(n_clusters=4, n_init=4, random_state=0).fit(pixels)
segmented = kmeans.cluster_centers_[kmeans.labels_].reshape(96, 128, 3).astype(np.uint8)
for i, c in enumerate(kmeans.cluster_centers_.astype(int)):
    print(f"cluster {i}: RGB {tuple(c)}, {np.mean(kmeans.labels_ == i):.1%} of pixels")
plt.imshow(segmented)
plt.title("K-means colour segmentation (k=4)")
plt.axis("off")
plt.show()
