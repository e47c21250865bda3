# category: advanced
# style: qwen
# needs: image
# expect: sharpest tile
import cv2
import numpy as np

gray = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2GRAY)
h, w = gray.shape
best = None
for y in range(0, h, 64):
    for x in range(0, w, 64):
        tile = gray[y:y + 64, x:x + 64]
        var = cv2.Laplacian(tile, cv2.CV_64F).var()
        if best is None or var > best[0]:
            best = (var, x, y)
print("sharpest tile", best)
