# category: geometry
# style: qwen
# needs: image
# expect: nearest
import numpy as np
from scipy.spatial import cKDTree

arr = np.asarray(image_clue_0).astype(int)
ys, xs = np.nonzero(arr.sum(axis=2) < 100)
tree = cKDTree(np.c_[xs, ys])
d, idx = tree.query([[350, 180], [10, 10]], k=1)
for q, dd, i in zip([(350, 180), (10, 10)], d, idx):
    print("query", q, "nearest dark pixel", (int(xs[i]), int(ys[i])), "distance", round(float(dd), 1))
