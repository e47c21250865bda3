# category: advanced
# style: qwen
# needs: image
# expect: circle
import cv2
import numpy as np

gray = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2GRAY)
gray = cv2.medianBlur(gray, 5)
circles = cv2.HoughCircles(gray, cv2.HOUGH_GRADIENT, dp=1.2, minDist=40, param1=100, param2=30,
                           minRadius=10, maxRadius=60)
if circles is None:
    print("no circle found")
else:
    for x, y, r in np.round(circles[0]).astype(int):
        print(f"circle at ({x}, {y}) radius {r}")
