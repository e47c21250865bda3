# category: advanced
# style: claude
# needs: image
# expect: texture
import numpy as np
from skimage.feature import local_binary_pattern

gray = np.asarray(image_clue_0.convert("L"))
lbp = local_binary_pattern(gray, P=8, R=1, method="uniform")
sky = lbp[:200, :]
ground = lbp[260:, :]
for name, region in [("sky", sky), ("ground", ground)]:
    hist, _ = np.histogram(region, bins=10, range=(0, 10), density=True)
    print(f"{name} texture histogram: {np.round(hist, 3).tolist()}")
