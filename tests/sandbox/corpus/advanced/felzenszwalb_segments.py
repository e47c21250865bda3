# category: advanced
# style: claude
# needs: image
# expect: Felzenszwalb
import numpy as np
from skimage.segmentation import felzenszwalb

small = np.array(image_clue_0.resize((128, 96)))
try:
    segs = felzenszwalb(small, scale=100, sigma=0.5, min_size=30)
    n = len(np.unique(segs))
    print(f"Felzenszwalb produced {n} segments")
    sizes = np.bincount(segs.ravel())
    print("Largest segments (px):", sorted(sizes.tolist(), reverse=True)[:5])
except Exception as e:
    print(type(e).__name__, e)
