# category: advanced
# style: qwen
# needs: image
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

crop = np.array(image_clue_0.crop((310, 150, 390, 210)))
gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
gray = cv2.resize(gray, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
th = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 11, 2)
plt.imshow(th, cmap='gray')
plt.axis('off')
plt.show()
