# category: advanced
# style: qwen
# needs: image
# expect: superpixels
# figures: 1
import numpy as np
import matplotlib.pyplot as plt
from skimage.segmentation import slic, mark_boundaries

img = np.array(image_clue_0.resize((256, 192)))
segments = slic(img, n_segments=60, compactness=10, start_label=1)
print("superpixels:", len(np.unique(segments)))
plt.imshow(mark_boundaries(img, segments))
plt.axis("off")
plt.show()
