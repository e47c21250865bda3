# category: geometry
# style: gpt4
# needs: image
# expect: radius
import numpy as np

arr = np.asarray(image_clue_0).astype(int)
sun = (arr[..., 0] > 230) & (arr[..., 1] > 200) & (arr[..., 2] < 120)
area = sun.sum()
ys, xs = np.nonzero(sun)
cx, cy = xs.mean(), ys.mean()
r_area = np.sqrt(area / np.pi)
r_extent = (xs.max() - xs.min() + 1) / 2
print(f"Sun centre ~ ({cx:.1f}, {cy:.1f}), radius from area {r_area:.1f}px, from extent {r_extent:.1f}px")
