# category: geometry
# style: qwen
# needs: image
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

img = np.array(image_clue_0)
src = np.float32([[320, 150], [380, 150], [380, 210], [320, 210]])
dst = np.float32([[0, 0], [200, 0], [200, 200], [0, 200]])
M = cv2.getPerspectiveTransform(src, dst)
warped = cv2.warpPerspective(img, M, (200, 200))
plt.imshow(warped)
plt.axis("off")
plt.show()
