# category: basic
# style: qwen
# needs: image
# figures: 1
import matplotlib.pyplot as plt

image = image_clue_0
W, H = image.size
# region given in relative coordinates [0, 1]
rel = (0.6, 0.35, 0.78, 0.6)
box = tuple(int(v * s) for v, s in zip(rel, (W, H, W, H)))
region = image.crop(box).resize((int((box[2] - box[0]) * 3), int((box[3] - box[1]) * 3)))
plt.figure(figsize=(4, 4))
plt.imshow(region)
plt.axis('off')
plt.show()
