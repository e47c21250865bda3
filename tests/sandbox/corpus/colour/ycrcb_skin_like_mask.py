# category: colour
# style: qwen
# needs: image
# expect: ratio
import cv2
import numpy as np

ycrcb = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2YCrCb)
mask = cv2.inRange(ycrcb, np.array([0, 150, 80]), np.array([255, 200, 130]))
print("ratio", round(float(mask.mean() / 255), 4))
