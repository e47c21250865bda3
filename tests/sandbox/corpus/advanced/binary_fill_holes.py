# category: advanced
# style: gpt4
# needs: image
# expect: filled
import numpy as np
from scipy import ndimage

gray = np.asarray(image_clue_0.convert("L"))
edges = np.abs(np.diff(gray.astype(int), axis=1)) > 40
edges = np.pad(edges, ((0, 0), (0, 1)))
dilated = ndimage.binary_dilation(edges, iterations=2)
filled = ndimage.binary_fill_holes(dilated)
print("edge px:", int(edges.sum()), "dilated:", int(dilated.sum()), "filled:", int(filled.sum()))
