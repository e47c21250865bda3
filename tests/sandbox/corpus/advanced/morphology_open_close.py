# category: advanced
# style: qwen
# needs: image
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

gray = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2GRAY)
_, th = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
kernel = np.ones((5, 5), np.uint8)
opened = cv2.morphologyEx(th, cv2.MORPH_OPEN, kernel)
closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel)
fig, ax = plt.subplots(1, 3, figsize=(15, 4))
for a, im, t in zip(ax, [th, opened, closed], ["otsu", "open", "open+close"]):
    a.imshow(im, cmap="gray"); a.set_title(t); a.axis("off")
plt.show()
