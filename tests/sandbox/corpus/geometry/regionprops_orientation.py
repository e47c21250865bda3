# category: geometry
# style: qwen
# needs: image
# expect: orientation
import numpy as np
from skimage.measure import label, regionprops

arr = np.asarray(image_clue_0).astype(int)
red = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
props = regionprops(label(red))
p = max(props, key=lambda r: r.area)
print("area", p.area, "orientation", round(np.degrees(p.orientation), 1), "major", round(p.axis_major_length, 1), "minor", round(p.axis_minor_length, 1))
