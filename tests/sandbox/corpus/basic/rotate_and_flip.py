# category: basic
# style: qwen
# needs: image
# figures: 1
import matplotlib.pyplot as plt
from PIL import Image

img = image_clue_0
rotated = img.rotate(15, expand=True, fillcolor=(255, 255, 255))
flipped = img.transpose(Image.FLIP_LEFT_RIGHT)

fig, ax = plt.subplots(1, 3, figsize=(15, 4))
ax[0].imshow(img); ax[0].set_title("original")
ax[1].imshow(rotated); ax[1].set_title("rotated 15")
ax[2].imshow(flipped); ax[2].set_title("mirrored")
for a in ax:
    a.axis("off")
plt.show()
