# category: geometry
# style: claude
# needs: image
# expect: Distance
import math
import numpy as np
from scipy import ndimage

def centroid(mask):
    cy, cx = ndimage.center_of_mass(mask)
    return cx, cy

arr = np.asarray(image_clue_0).astype(int)
red = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
blue = (arr[..., 2] > 150) & (arr[..., 0] < 80) & (arr[..., 1] < 100)
(c1x, c1y), (c2x, c2y) = centroid(red), centroid(blue)
dist = math.hypot(c2x - c1x, c2y - c1y)
angle = math.degrees(math.atan2(-(c2y - c1y), c2x - c1x))
print(f"Red centroid: ({c1x:.1f}, {c1y:.1f}); blue centroid: ({c2x:.1f}, {c2y:.1f})")
print(f"Distance: {dist:.1f} px, direction {angle:.1f} degrees above the horizontal")
