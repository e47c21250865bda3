# category: basic
# style: gpt4
# needs: image
# figures: 1
from PIL import Image, ImageOps
import matplotlib.pyplot as plt
import numpy as np

img = image_clue_0
gray = ImageOps.grayscale(img)
equalized = ImageOps.equalize(gray)

plt.figure(figsize=(12, 5))
plt.subplot(1, 2, 1)
plt.imshow(gray, cmap='gray')
plt.title('Grayscale')
plt.axis('off')
plt.subplot(1, 2, 2)
plt.imshow(equalized, cmap='gray')
plt.title('Histogram equalized')
plt.axis('off')
plt.show()

print("Mean intensity before:", np.array(gray).mean())
print("Mean intensity after:", np.array(equalized).mean())
