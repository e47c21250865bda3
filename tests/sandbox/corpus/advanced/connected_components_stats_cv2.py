# category: advanced
# style: gpt4
# needs: image
# expect: Component
import cv2
import numpy as np

hsv = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2HSV)
# Blue-ish hue range in OpenCV's 0-179 hue scale
mask = cv2.inRange(hsv, (100, 120, 80), (130, 255, 255))
n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
print(f"Total labels (including background): {n}")
for i in range(1, n):
    x, y, w, h, area = stats[i]
    if area > 200:
        cx, cy = centroids[i]
        print(f"Component {i}: x={x}, y={y}, w={w}, h={h}, area={area}, centroid=({cx:.1f}, {cy:.1f})")
