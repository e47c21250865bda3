# category: basic
# style: gpt4
# needs: image
# figures: 1
import cv2
import numpy as np
import matplotlib.pyplot as plt

# Apply CLAHE on the L channel of LAB colour space to improve local contrast
rgb = np.array(image_clue_0)
lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
l, a, b = cv2.split(lab)
clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
l2 = clahe.apply(l)
enhanced = cv2.cvtColor(cv2.merge((l2, a, b)), cv2.COLOR_LAB2RGB)

plt.figure(figsize=(12, 5))
plt.subplot(121); plt.imshow(rgb); plt.title("Original"); plt.axis("off")
plt.subplot(122); plt.imshow(enhanced); plt.title("CLAHE"); plt.axis("off")
plt.show()
