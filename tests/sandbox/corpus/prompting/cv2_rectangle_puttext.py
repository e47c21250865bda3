# category: prompting
# style: qwen
# needs: image
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

img = np.array(image_clue_0).copy()
cv2.rectangle(img, (80, 210), (250, 280), (0, 255, 0), 2)
cv2.putText(img, "car", (80, 200), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 0), 2)
cv2.arrowedLine(img, (300, 330), (240, 285), (255, 255, 0), 2, tipLength=0.3)
cv2.circle(img, (435, 65), 40, (255, 0, 255), 2)
plt.figure(figsize=(10, 7))
plt.imshow(img)
plt.axis('off')
plt.show()
