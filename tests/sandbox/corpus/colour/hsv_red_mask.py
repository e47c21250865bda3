# category: colour
# style: qwen
# needs: image
# expect: red pixels
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

hsv = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2HSV)
lower1, upper1 = np.array([0, 120, 70]), np.array([10, 255, 255])
lower2, upper2 = np.array([170, 120, 70]), np.array([180, 255, 255])
mask = cv2.inRange(hsv, lower1, upper1) | cv2.inRange(hsv, lower2, upper2)
print("red pixels:", cv2.countNonZero(mask))
res = cv2.bitwise_and(np.array(image_clue_0), np.array(image_clue_0), mask=mask)
plt.imshow(res)
plt.axis('off')
plt.show()
