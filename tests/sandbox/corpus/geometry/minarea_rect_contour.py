# category: geometry
# style: gpt4
# needs: image
# expect: Rotated rect
import cv2
import numpy as np

arr = np.array(image_clue_0)
mask = cv2.inRange(cv2.cvtColor(arr, cv2.COLOR_RGB2HSV), (100, 120, 80), (130, 255, 255))
contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
c = max(contours, key=cv2.contourArea)
(cx, cy), (w, h), angle = cv2.minAreaRect(c)
x, y, bw, bh = cv2.boundingRect(c)
print(f"Rotated rect: centre=({cx:.1f}, {cy:.1f}), size=({w:.1f}x{h:.1f}), angle={angle:.1f}")
print(f"Upright rect: x={x}, y={y}, w={bw}, h={bh}; area={cv2.contourArea(c):.0f}; perimeter={cv2.arcLength(c, True):.1f}")
