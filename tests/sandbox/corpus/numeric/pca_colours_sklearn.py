# category: numeric
# style: qwen
# needs: image
# expect: explained variance
import numpy as np
from sklearn.decomposition import PCA

pixels = np.asarray(image_clue_0.resize((128, 96))).reshape(-1, 3).astype(float)
pca = PCA(n_components=3).fit(pixels)
print("explained variance ratio", np.round(pca.explained_variance_ratio_, 4))
print("first component", np.round(pca.components_[0], 3))
