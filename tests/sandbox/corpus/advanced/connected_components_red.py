# category: advanced
# style: claude
# needs: image
# expect: Found
import numpy as np
from scipy import ndimage

# Identify red objects: strong red channel, weak green and blue
arr = np.array(image_clue_0).astype(int)
r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
red_mask = (r > 150) & (g < 80) & (b < 80)

labeled, num = ndimage.label(red_mask)
print(f"Found {num} red connected component(s)")
sizes = ndimage.sum(red_mask, labeled, range(1, num + 1))
for i, size in enumerate(sizes, start=1):
    if size < 50:
        continue
    ys, xs = np.where(labeled == i)
    print(f"  component {i}: {int(size)} px, bbox x=[{xs.min()}, {xs.max()}], y=[{ys.min()}, {ys.max()}]")
