# category: advanced
# style: claude
# needs: image
# expect: Thickest point
import cv2
import numpy as np

def thickest_point(mask):
    """Pixel farthest from the mask's boundary, and that distance."""
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(np.argmax(dist), dist.shape)
    return (int(x), int(y)), float(dist.max())

arr = np.asarray(image_clue_0).astype(int)
red = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
(x, y), d = thickest_point(red)
print(f"Thickest point of the red object: ({x}, {y}), {d:.1f} px from its edge (so ~{2 * d:.0f} px thick)")
