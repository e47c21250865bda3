# category: video
# style: claude
# needs: video
# expect: Changed area
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageChops

vr = video_clue_0
first = Image.fromarray(vr[0].asnumpy())
last = Image.fromarray(vr[len(vr) - 1].asnumpy())
diff = ImageChops.difference(first, last).convert('L')
changed = np.asarray(diff) > 40
print(f"Changed area between the first and last frame: {changed.mean():.1%} of the pixels, bbox {diff.point(lambda v: 255 if v > 40 else 0).getbbox()}")
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
for ax, im, title in zip(axes, [first, last, diff], ['first', 'last', 'difference']):
    ax.imshow(im, cmap='gray' if title == 'difference' else None)
    ax.set_title(title)
    ax.axis('off')
plt.show()
