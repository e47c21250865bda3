# category: advanced
# style: gpt4
# needs: image
# expect: line segments
import cv2
import numpy as np

gray = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2GRAY)
edges = cv2.Canny(gray, 50, 150, apertureSize=3)
lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=60, minLineLength=40, maxLineGap=5)
n = 0 if lines is None else len(lines)
print(f"Detected {n} line segments")
if lines is not None:
    for x1, y1, x2, y2 in lines.reshape(-1, 4)[:8]:
        angle = np.degrees(np.arctan2(y2 - y1, x2 - x1))
        print(f"({x1},{y1}) -> ({x2},{y2}), angle {angle:.1f} deg")
