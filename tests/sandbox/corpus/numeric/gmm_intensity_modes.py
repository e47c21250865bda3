# category: numeric
# style: claude
# needs: image
# expect: mode
import numpy as np
from sklearn.mixture import GaussianMixture

gray = np.asarray(image_clue_0.convert("L").resize((128, 96)), dtype=float).reshape(-1, 1)
gmm = GaussianMixture(n_components=3, random_state=0).fit(gray)
order = np.argsort(gmm.means_.ravel())
for k, i in enumerate(order):
    mean = gmm.means_[i, 0]
    std = np.sqrt(gmm.covariances_[i].ravel()[0])
    print(f"mode {k}: mean={mean:.1f}, std={std:.1f}, weight={gmm.weights_[i]:.2f}")
