# category: geometry
# style: gpt4
# needs: image
# expect: shape
import cv2
import numpy as np

arr = np.array(image_clue_0)
hsv = cv2.cvtColor(arr, cv2.COLOR_RGB2HSV)
masks = {"blue": cv2.inRange(hsv, (100, 120, 80), (130, 255, 255)),
         "yellow": cv2.inRange(hsv, (20, 100, 150), (35, 255, 255)),
         "red": cv2.inRange(hsv, (0, 150, 80), (8, 255, 255))}
for colour, mask in masks.items():
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        print(f"{colour}: nothing found")
        continue
    c = max(contours, key=cv2.contourArea)
    approx = cv2.approxPolyDP(c, 0.04 * cv2.arcLength(c, True), True)
    area, perim = cv2.contourArea(c), cv2.arcLength(c, True)
    circularity = 4 * np.pi * area / (perim ** 2)
    shape = "rectangle" if len(approx) == 4 else "circle" if circularity > 0.8 else f"{len(approx)}-gon"
    print(f"{colour} object: vertices={len(approx)}, circularity={circularity:.2f} -> shape {shape}")
