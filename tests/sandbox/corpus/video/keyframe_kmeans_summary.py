# category: video
# style: claude
# needs: video
# expect: representative frames
import numpy as np
from sklearn.cluster import KMeans

vr = video_clue_0
idx = np.arange(0, len(vr), 2)
frames = vr.get_batch(idx).asnumpy()
features = np.stack([np.concatenate([np.histogram(f[..., c], bins=8, range=(0, 256))[0] for c in range(3)])
                     for f in frames]).astype(float)
features /= features.sum(axis=1, keepdims=True)
km = KMeans(n_clusters=3, n_init=5, random_state=0).fit(features)
reps = []
for k in range(3):
    members = np.nonzero(km.labels_ == k)[0]
    centre_dist = np.linalg.norm(features[members] - km.cluster_centers_[k], axis=1)
    reps.append(int(idx[members[np.argmin(centre_dist)]]))
print("representative frames:", sorted(reps))
