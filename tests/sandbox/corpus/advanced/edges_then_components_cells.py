# category: advanced
# style: claude
# needs: image
# expect: largest component
import numpy as np
from scipy import ndimage
from skimage import filters

gray = np.asarray(image_clue_0.convert("L"), dtype=float) / 255
edges = filters.sobel(gray)
print(f"edge strength: mean {edges.mean():.4f}, max {edges.max():.4f}")
# %%
strong = edges > 0.1
closed = ndimage.binary_closing(strong, structure=np.ones((3, 3)), iterations=2)
labels, n = ndimage.label(closed)
print(f"{n} edge components")
# %%
sizes = np.bincount(labels.ravel())[1:]
biggest = int(np.argmax(sizes)) + 1
objs = ndimage.find_objects(labels)
sl = objs[biggest - 1]
print(f"largest component: label {biggest}, {sizes.max()} px, rows {sl[0].start}-{sl[0].stop}, cols {sl[1].start}-{sl[1].stop}")
