# category: advanced
# style: qwen
# needs: image
# expect: edge pixels
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

img = np.array(image_clue_0)
gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
blurred = cv2.GaussianBlur(gray, (5, 5), 0)
edges = cv2.Canny(blurred, 50, 150)
print("edge pixels:", int((edges > 0).sum()))
plt.figure(figsize=(8, 6))
plt.imshow(edges, cmap='gray')
plt.axis('off')
plt.show()
