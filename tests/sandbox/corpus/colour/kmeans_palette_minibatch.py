# category: colour
# style: qwen
# needs: image
# expect: palette
import numpy as np
from sklearn.cluster import MiniBatchKMeans

px = np.asarray(image_clue_0).reshape(-1, 3).astype(np.float32)
mbk = MiniBatchKMeans(n_clusters=6, random_state=0, batch_size=2048, n_init=3).fit(px[::4])
palette = mbk.cluster_centers_.round().astype(int)
print("palette", palette.tolist())
