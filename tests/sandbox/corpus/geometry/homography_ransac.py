# category: geometry
# style: claude
# needs: none
# expect: Homography
import numpy as np
import cv2

src = np.float32([[0, 0], [100, 0], [100, 100], [0, 100], [50, 50], [25, 75]])
H_true = np.array([[1.1, 0.05, 10], [0.02, 0.95, -5], [0.0001, 0.0002, 1]])
pts = np.hstack([src, np.ones((len(src), 1))]) @ H_true.T
dst = (pts[:, :2] / pts[:, 2:]).astype(np.float32)
H, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 3.0)
print("Homography estimated:\n", np.round(H / H[2, 2], 3))
print("inliers:", int(inliers.sum()), "of", len(src))
