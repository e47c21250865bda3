# category: advanced
# style: qwen
# needs: image
# expect: foreground
import cv2
import numpy as np

img = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2BGR)
mask = np.zeros(img.shape[:2], np.uint8)
bgd = np.zeros((1, 65), np.float64)
fgd = np.zeros((1, 65), np.float64)
rect = (70, 200, 190, 110)
cv2.grabCut(img, mask, rect, bgd, fgd, 2, cv2.GC_INIT_WITH_RECT)
fg = np.where((mask == 1) | (mask == 3), 1, 0).astype(np.uint8)
print("foreground pixels:", int(fg.sum()))
