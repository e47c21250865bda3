# category: advanced
# style: gpt4
# needs: image
# expect: contours
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

img = np.array(image_clue_0).copy()
gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
edges = cv2.Canny(gray, 60, 180)
contours, hierarchy = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
print(f"Number of external contours: {len(contours)}")
large = [c for c in contours if cv2.contourArea(c) > 500]
print(f"Large contours (>500 px area): {len(large)}")
cv2.drawContours(img, large, -1, (0, 255, 0), 2)
plt.figure(figsize=(10, 7))
plt.imshow(img)
plt.title("Detected contours")
plt.axis("off")
plt.show()
