# category: advanced
# style: claude
# needs: image
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
from skimage import feature
from skimage.color import rgb2gray

gray = rgb2gray(np.asarray(image_clue_0))
sigmas = [1, 2, 3]
fig, axes = plt.subplots(1, len(sigmas), figsize=(15, 4))
for ax, s in zip(axes, sigmas):
    edges = feature.canny(gray, sigma=s)
    ax.imshow(edges, cmap='gray')
    ax.set_title(f'Canny, sigma={s} ({edges.sum()} px)')
    ax.axis('off')
plt.tight_layout()
plt.savefig('canny_sigmas.png')
plt.show()
