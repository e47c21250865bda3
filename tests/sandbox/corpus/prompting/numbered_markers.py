# category: prompting
# style: qwen
# needs: image
# figures: 1
from PIL import ImageDraw
import matplotlib.pyplot as plt

img = image_clue_0.copy()
d = ImageDraw.Draw(img)
points = [(165, 245), (350, 180), (435, 65), (160, 330)]
for i, (x, y) in enumerate(points, 1):
    d.ellipse((x - 12, y - 12, x + 12, y + 12), fill="white", outline="black", width=2)
    d.text((x - 4, y - 6), str(i), fill="black")
plt.imshow(img)
plt.axis("off")
plt.show()
