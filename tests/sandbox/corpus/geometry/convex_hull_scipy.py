# category: geometry
# style: gpt4
# needs: image
# expect: Convex hull
import numpy as np
from scipy.spatial import ConvexHull

arr = np.asarray(image_clue_0).astype(int)
dark = arr.sum(axis=2) < 100
ys, xs = np.nonzero(dark)
pts = np.column_stack([xs, ys])
hull = ConvexHull(pts)
print(f"Convex hull of {len(pts)} dark pixels: {len(hull.vertices)} vertices, area {hull.volume:.0f} px^2, perimeter {hull.area:.0f} px")
