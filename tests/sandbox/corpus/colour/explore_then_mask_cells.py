# category: colour
# style: qwen
# needs: image
# expect: blue area
# figures: 2
import numpy as np
import matplotlib.pyplot as plt
img = np.array(image_clue_0)
print(img.shape)
plt.imshow(img)
plt.axis('off')
plt.show()
# %%
hsv = np.array(image_clue_0.convert('HSV')).astype(int)
h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
blue = (h > 140) & (h < 180) & (s > 150) & (v > 100)
print('blue area', int(blue.sum()))
# %%
ys, xs = np.nonzero(blue)
plt.imshow(image_clue_0.crop((xs.min() - 10, ys.min() - 10, xs.max() + 10, ys.max() + 10)))
plt.axis('off')
plt.show()
