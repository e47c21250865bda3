# category: geometry
# style: gpt4
# needs: image
# expect: width
import numpy as np

# Measure the red car's bounding box from a colour mask
arr = np.array(image_clue_0).astype(int)
mask = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
ys, xs = np.nonzero(mask)
x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
print(f"Car bounding box: x={x0}..{x1}, y={y0}..{y1}")
print(f"width={x1 - x0 + 1}px, height={y1 - y0 + 1}px, aspect ratio={(x1 - x0 + 1) / (y1 - y0 + 1):.2f}")
