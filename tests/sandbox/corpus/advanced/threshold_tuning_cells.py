# category: advanced
# style: gpt4
# needs: image
# expect: Chosen threshold
import numpy as np
from scipy import ndimage

gray = np.array(image_clue_0.convert("L"))
# Try a few thresholds for dark objects and look at the number of components each gives
for t in (40, 60, 80, 100):
    _, n = ndimage.label(gray < t)
    print(f"threshold {t}: {n} components")
# %%
# 60 looks like a good compromise; clean the mask up and report the objects
t = 60
mask = ndimage.binary_opening(gray < t, iterations=1)
labels, n = ndimage.label(mask)
slices = ndimage.find_objects(labels)
print(f"Chosen threshold {t}: {n} objects")
for i, sl in enumerate(slices, 1):
    h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
    if h * w > 100:
        print(f"  object {i}: x={sl[1].start}, y={sl[0].start}, {w}x{h}")
