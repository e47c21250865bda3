# category: basic
# style: qwen
# needs: image
# expect: gray shape
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

img = cv2.cvtColor(np.array(image_clue_0), cv2.COLOR_RGB2BGR)
small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
print("gray shape", gray.shape)
plt.imshow(gray, cmap="gray")
plt.axis("off")
plt.show()
